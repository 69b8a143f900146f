"""The events the identity service publishes: its contract with every consumer.

`user_registered` carries the new user's identity and first membership (never a password
hash); `sequence` is the user's version. `signing_key_activated` tells verifiers (the gateway)
to refresh their JWKS now instead of waiting for their cache to expire; its subject is `jwks` and
its `sequence` is the number of keys ever made, so an older announcement is recognisable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bazaar_identity.domain import Registration, User

USER_REGISTERED = "identity.user_registered.v1"
SIGNING_KEY_ACTIVATED = "identity.signing_key_activated.v1"
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


SCHEMAS: dict[str, type[BaseModel]] = {
    USER_REGISTERED: UserRegistered,
    SIGNING_KEY_ACTIVATED: SigningKeyActivated,
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
