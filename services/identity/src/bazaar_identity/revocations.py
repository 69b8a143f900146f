"""Token revocation: logout (a token by its id) and an admin's "sign this user out everywhere".

A revocation is stored in identity's database until the tokens it covers have expired, and
announced as `identity.token_revoked.v1`, which every gateway instance follows to drop the
token at once; a gateway that starts (or reconnects) later reads the list of live revocations.
Revoking a subject covers every token issued to it up to and including this second (`iat` is in
whole seconds), so a token issued in the same second as the revocation is revoked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import Caller, Runtime, UtcDateTime, new_id
from bazaar_chassis.errors import InvalidInput
from bazaar_identity import events
from bazaar_identity.store import metadata

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("jti", String(64), nullable=True),
    Column("subject", String(128), nullable=True),
    Column("not_before", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_by", String(128), nullable=False),
    Column("revoked_at", UtcDateTime, nullable=False),
    Index("revoked_tokens_expiry", "expires_at"),
)


class NotSignedIn(InvalidInput):
    title = "Not signed in"

    def __init__(self) -> None:
        super().__init__("there is no token to revoke: this request carried no access token")


@dataclass(frozen=True, slots=True)
class Revocation:
    """Tokens no longer valid: the one with id `jti`, or all of `subject`'s with iat before
    `not_before`; kept until `expires_at`, when every token it covers has expired anyway."""

    id: str
    jti: str | None
    subject: str | None
    not_before: datetime | None
    expires_at: datetime


def of_token(*, jti: str, expires_at: datetime) -> Revocation:
    return Revocation(id=new_id(), jti=jti, subject=None, not_before=None, expires_at=expires_at)


def of_subject(subject: str, *, now: datetime, token_ttl_seconds: int) -> Revocation:
    not_before = now.replace(microsecond=0) + timedelta(seconds=1)
    return Revocation(
        id=new_id(),
        jti=None,
        subject=subject,
        not_before=not_before,
        expires_at=not_before + timedelta(seconds=token_ttl_seconds),
    )


async def record(runtime: Runtime, revocation: Revocation, *, by: Caller, now: datetime) -> None:
    """Store `revocation` and announce it, in one unit of work."""
    async with runtime.unit_of_work() as uow:
        await uow.connection.execute(
            revoked_tokens.insert().values(
                id=revocation.id,
                jti=revocation.jti,
                subject=revocation.subject,
                not_before=revocation.not_before,
                expires_at=revocation.expires_at,
                revoked_by=by.subject,
                revoked_at=now,
            )
        )
        uow.emit(
            events.TOKEN_REVOKED,
            subject=revocation.jti or revocation.subject or revocation.id,
            sequence=1,
            data=events.token_revoked(
                jti=revocation.jti,
                subject=revocation.subject,
                not_before=revocation.not_before,
                expires_at=revocation.expires_at,
            ),
        )


async def live(connection: AsyncConnection, *, now: datetime) -> list[Revocation]:
    rows = await connection.execute(
        select(revoked_tokens)
        .where(revoked_tokens.c.expires_at > now)
        .order_by(revoked_tokens.c.revoked_at)
    )
    return [
        Revocation(
            id=r.id,
            jti=r.jti,
            subject=r.subject,
            not_before=r.not_before,
            expires_at=r.expires_at,
        )
        for r in rows
    ]


async def forget_expired(connection: AsyncConnection, *, now: datetime) -> int:
    result = await connection.execute(
        revoked_tokens.delete().where(revoked_tokens.c.expires_at <= now)
    )
    return int(result.rowcount or 0)
