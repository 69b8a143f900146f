"""Identity API v1, signing out: logout (your own token) and revocations (an admin's, or the
gateway's list of live ones). Mounted into v1's router."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from bazaar_chassis import CallerDep, RuntimeDep
from bazaar_identity import revocations
from bazaar_identity.authority import GATEWAY_ROLE, require_admin
from bazaar_identity.context import IdentityDep
from bazaar_identity.revocations import NotSignedIn, Revocation

router = APIRouter()


class RevocationRequest(BaseModel):
    jti: str | None = Field(default=None, max_length=64, description="revoke this one token")
    subject: str | None = Field(
        default=None, max_length=128, description="revoke every token this subject holds now"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> RevocationRequest:
        if (self.jti is None) == (self.subject is None):
            raise ValueError("give exactly one of 'jti' (one token) or 'subject' (all its tokens)")
        return self


class RevocationOut(BaseModel):
    jti: str | None
    subject: str | None
    not_before: int | None = Field(description="tokens issued before this (epoch s) are revoked")
    expires_at: int = Field(description="every token covered has expired by then (epoch s)")

    @classmethod
    def of(cls, revocation: Revocation) -> RevocationOut:
        return cls(
            jti=revocation.jti,
            subject=revocation.subject,
            not_before=int(revocation.not_before.timestamp()) if revocation.not_before else None,
            expires_at=int(revocation.expires_at.timestamp()),
        )


class RevocationList(BaseModel):
    items: list[RevocationOut]


@router.post("/logout", status_code=204)
async def logout(runtime: RuntimeDep, identity: IdentityDep, caller: CallerDep) -> None:
    """Revoke the access token this request was made with; every gateway drops it in seconds."""
    if caller.token_id is None:
        raise NotSignedIn()
    now = identity.now()
    expires_at = (
        datetime.fromtimestamp(caller.token_expires, UTC)
        if caller.token_expires
        else now + timedelta(seconds=identity.settings.token_ttl_seconds)
    )
    revocation = revocations.of_token(jti=caller.token_id, expires_at=expires_at)
    await revocations.record(runtime, revocation, by=caller, now=now)


@router.post("/revocations", status_code=201)
async def revoke(
    body: RevocationRequest, runtime: RuntimeDep, identity: IdentityDep, caller: CallerDep
) -> RevocationOut:
    """Admins: revoke one token by id, or sign a subject out everywhere (tokens issued so far)."""
    require_admin(caller, "revoke tokens")
    now = identity.now()
    ttl = identity.settings.token_ttl_seconds
    if body.jti is not None:
        revocation = revocations.of_token(jti=body.jti, expires_at=now + timedelta(seconds=ttl))
    else:
        assert body.subject is not None
        revocation = revocations.of_subject(body.subject, now=now, token_ttl_seconds=ttl)
    await revocations.record(runtime, revocation, by=caller, now=now)
    return RevocationOut.of(revocation)


@router.get("/revocations")
async def live_revocations(
    runtime: RuntimeDep, identity: IdentityDep, caller: CallerDep
) -> RevocationList:
    """The revocations still in force: what a gateway loads when it starts or reconnects."""
    require_admin(caller, "list revocations", or_role=GATEWAY_ROLE)
    async with runtime.database.snapshot() as connection:
        live = await revocations.live(connection, now=identity.now())
    return RevocationList(items=[RevocationOut.of(r) for r in live])
