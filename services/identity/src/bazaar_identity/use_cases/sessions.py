"""Signing out: logout (the caller's own token), an admin's revocation, the live list, clean-up.

revocations.py says what a revocation covers; here they are stored, announced and read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bazaar_chassis import Caller, Clock, Reads, Units, utc_now
from bazaar_identity import events, revocations, throttle
from bazaar_identity.authority import GATEWAY_ROLE, require_admin
from bazaar_identity.revocations import NotSignedIn, Revocation
from bazaar_identity.use_cases import Identities


async def _record(
    units: Units[Identities], revocation: Revocation, *, by: Caller, now: datetime
) -> None:
    """Store `revocation` and announce it, in one unit of work."""
    async with units() as work:
        await work.store.insert_revocation(revocation, by=by.subject, at=now)
        work.emit(
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


async def logout(
    *, units: Units[Identities], by: Caller, token_ttl_seconds: int, clock: Clock = utc_now
) -> Revocation:
    """Revoke the access token `by` made this request with."""
    if by.token_id is None:
        raise NotSignedIn()
    now = clock()
    expires_at = (
        datetime.fromtimestamp(by.token_expires, UTC)
        if by.token_expires
        else now + timedelta(seconds=token_ttl_seconds)
    )
    revocation = revocations.of_token(jti=by.token_id, expires_at=expires_at)
    await _record(units, revocation, by=by, now=now)
    return revocation


async def revoke(
    *,
    units: Units[Identities],
    by: Caller,
    token_ttl_seconds: int,
    jti: str | None = None,
    subject: str | None = None,
    clock: Clock = utc_now,
) -> Revocation:
    """Admins: revoke one token by id (`jti`), or every token `subject` holds now."""
    require_admin(by, "revoke tokens")
    now = clock()
    if jti is not None:
        expires_at = now + timedelta(seconds=token_ttl_seconds)
        revocation = revocations.of_token(jti=jti, expires_at=expires_at)
    elif subject is not None:
        revocation = revocations.of_subject(subject, now=now, token_ttl_seconds=token_ttl_seconds)
    else:
        raise ValueError("revoke needs a jti or a subject")
    await _record(units, revocation, by=by, now=now)
    return revocation


async def live_revocations(
    *, reads: Reads[Identities], by: Caller, clock: Clock = utc_now
) -> list[Revocation]:
    """The revocations still in force (admins, and the gateways that follow them)."""
    require_admin(by, "list revocations", or_role=GATEWAY_ROLE)
    async with reads() as store:
        return await store.live_revocations(now=clock())


async def forget_stale(*, units: Units[Identities], clock: Clock = utc_now) -> None:
    """Delete expired revocations and quiet, unblocked throttle counts."""
    now = clock()
    async with units() as work:
        await work.store.forget_expired_revocations(now=now)
        await work.store.forget_quiet_attempts(quiet_since=throttle.quiet_since(now), now=now)
