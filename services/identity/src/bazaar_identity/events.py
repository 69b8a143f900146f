"""The events the identity service publishes: its contract with every consumer.

`user_registered` carries the new user's identity and first membership (never a password
hash); `sequence` is the user's version. `signing_key_activated` tells verifiers (the gateway)
to refresh their JWKS now instead of waiting for their cache to expire; its subject is `jwks` and
its `sequence` is the number of keys ever made, so an older announcement is recognisable.
`token_revoked` tells every gateway to stop accepting a token (`jti`) or all of a subject's
tokens issued before `not_before` (epoch seconds), until `expires_at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bazaar_identity.domain import Registration, User

USER_REGISTERED = "identity.user_registered.v1"
SIGNING_KEY_ACTIVATED = "identity.signing_key_activated.v1"
TOKEN_REVOKED = "identity.token_revoked.v1"  # noqa: S105 - an event type, not a secret
JWKS_SUBJECT = "jwks"


class UserRegistered(BaseModel):
    """Payload of identity.user_registered.v1."""

    id: str
    email: str
    name: str
    organization: str
    roles: list[str]


class SigningKeyActivated(BaseModel):
    """Payload of identity.signing_key_activated.v1: the new signing key and the whole JWKS."""

    kid: str
    published: list[str]


class TokenRevoked(BaseModel):
    """Payload of identity.token_revoked.v1: one token (`jti`) or a subject's older tokens."""

    jti: str | None
    subject: str | None
    not_before: int | None
    expires_at: int


SCHEMAS: dict[str, type[BaseModel]] = {
    USER_REGISTERED: UserRegistered,
    SIGNING_KEY_ACTIVATED: SigningKeyActivated,
    TOKEN_REVOKED: TokenRevoked,
}


def user_registered(user: User, registration: Registration) -> dict[str, Any]:
    return UserRegistered(
        id=user.id,
        email=user.email,
        name=user.name,
        organization=registration.organization,
        roles=list(registration.roles),
    ).model_dump()


def signing_key_activated(kid: str, published: list[str]) -> dict[str, Any]:
    return SigningKeyActivated(kid=kid, published=published).model_dump()


def token_revoked(
    *, jti: str | None, subject: str | None, not_before: datetime | None, expires_at: datetime
) -> dict[str, Any]:
    return TokenRevoked(
        jti=jti,
        subject=subject,
        not_before=int(not_before.timestamp()) if not_before else None,
        expires_at=int(expires_at.timestamp()),
    ).model_dump()
