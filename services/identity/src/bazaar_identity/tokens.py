"""Access tokens: which claims a token carries, and its EdDSA signature with the active key.

Claims: iss, sub (user id, or `service:<client>`), kind (`user` | `service`), email (users
only), org, roles (the roles held in `org`), iat, exp, jti. The header names the key (`kid`) so
a verifier can pick it from the JWKS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis import new_id
from bazaar_identity.keys import ALGORITHM

TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret


class TokenKind(StrEnum):
    USER = "user"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token will say about its bearer."""

    subject: str
    kind: TokenKind
    organization: str
    roles: tuple[str, ...]
    email: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = TOKEN_TYPE


def claims(
    grant: Grant, *, issuer: str, now: datetime, ttl_seconds: int, jti: str | None = None
) -> dict[str, Any]:
    issued_at = int(now.timestamp())
    body: dict[str, Any] = {
        "iss": issuer,
        "sub": grant.subject,
        "kind": grant.kind.value,
        "org": grant.organization,
        "roles": list(grant.roles),
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": jti or new_id(),
    }
    if grant.email is not None:
        body["email"] = grant.email
    return body


def sign(body: dict[str, Any], *, kid: str, private_key: Ed25519PrivateKey) -> str:
    return jwt.encode(body, private_key, algorithm=ALGORITHM, headers={"kid": kid})


def issue(
    grant: Grant,
    *,
    issuer: str,
    now: datetime,
    ttl_seconds: int,
    kid: str,
    private_key: Ed25519PrivateKey,
) -> IssuedToken:
    body = claims(grant, issuer=issuer, now=now, ttl_seconds=ttl_seconds)
    return IssuedToken(
        access_token=sign(body, kid=kid, private_key=private_key), expires_in=ttl_seconds
    )
