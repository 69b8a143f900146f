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

from bazaar_chassis import InvalidInput, new_id


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
