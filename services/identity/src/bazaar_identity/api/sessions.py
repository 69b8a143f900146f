"""Identity API v1, signing out: logout (your own token) and revocations (an admin's, or the
gateway's list of live ones). Mounted into v1's router."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from bazaar_chassis import CallerDep, ReadsDep, Text, UnitsDep
from bazaar_identity.context import IdentityDep
from bazaar_identity.revocations import Revocation
from bazaar_identity.use_cases import sessions

router = APIRouter()


class RevocationRequest(BaseModel):
    jti: Text | None = Field(default=None, max_length=64, description="revoke this one token")
    subject: Text | None = Field(
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
async def logout(units: UnitsDep, identity: IdentityDep, caller: CallerDep) -> None:
    """Revoke the access token this request was made with; every gateway drops it in seconds."""
    await sessions.logout(
        units=units,
        by=caller,
        token_ttl_seconds=identity.settings.token_ttl_seconds,
        clock=identity.clock,
    )


@router.post("/revocations", status_code=201)
async def revoke(
    body: RevocationRequest, units: UnitsDep, identity: IdentityDep, caller: CallerDep
) -> RevocationOut:
    """Admins: revoke one token by id, or sign a subject out everywhere (tokens issued so far)."""
    revocation = await sessions.revoke(
        units=units,
        by=caller,
        token_ttl_seconds=identity.settings.token_ttl_seconds,
        jti=body.jti,
        subject=body.subject,
        clock=identity.clock,
    )
    return RevocationOut.of(revocation)


@router.get("/revocations")
async def live_revocations(
    reads: ReadsDep, identity: IdentityDep, caller: CallerDep
) -> RevocationList:
    """The revocations still in force: what a gateway loads when it starts or reconnects."""
    live = await sessions.live_revocations(reads=reads, by=caller, clock=identity.clock)
    return RevocationList(items=[RevocationOut.of(r) for r in live])
