"""Who is calling: the identity the gateway verified, in a form a service can verify (M7).

The gateway authenticates the client (a JWT from identity, or nobody = guest) and forwards the
result as a short-lived assertion in the `Bazaar-Identity` header, signed with the gateway's
Ed25519 key. A service holds only the gateway's public key: it can check an assertion but never
forge one, and it answers 401 to any request that did not come through the gateway.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bazaar_chassis.errors import ConfigurationError, Unauthorized

IDENTITY_HEADER = "bazaar-identity"
ASSERTION_ISSUER = "bazaar-gateway"
ASSERTION_AUDIENCE = "bazaar-services"
CallerKind = Literal["user", "service", "guest"]
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """The subject of a request as the gateway established it."""

    subject: str
    kind: CallerKind
    organization: str
    roles: tuple[str, ...]
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def claims(self) -> dict[str, Any]:
        return {
            "sub": self.subject,
            "kind": self.kind,
            "org": self.organization,
            "roles": list(self.roles),
            **({"email": self.email} if self.email else {}),
        }

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Caller:
        kind = claims.get("kind", "user")
        if kind not in ("user", "service", "guest"):
            raise Unauthorized(f"unknown caller kind {kind!r}")
        return cls(
            subject=str(claims["sub"]),
            kind=kind,
            organization=str(claims["org"]),
            roles=tuple(str(r) for r in claims.get("roles", ())),
            email=claims.get("email"),
        )


GUEST = Caller(subject="guest", kind="guest", organization="public", roles=("guest",))


def load_public_key(pem: str) -> Ed25519PublicKey:
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the gateway public key must be an Ed25519 key (PEM)")
    return key


class AssertionSigner:
    """Issues identity assertions; only the gateway (and tests) hold the private key."""

    def __init__(self, private_key: Ed25519PrivateKey, *, ttl_seconds: float = 60.0) -> None:
        self._key = private_key
        self._ttl = ttl_seconds
        self._cache: dict[Caller, tuple[str, float]] = {}

    def assertion(self, caller: Caller) -> str:
        """A signed assertion for `caller`, reused while it has more than half its life left."""
        now = time.time()
        cached = self._cache.get(caller)
        if cached is not None and cached[1] - now > self._ttl / 2:
            return cached[0]
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        expires = now + self._ttl
        token = jwt.encode(
            {
                **caller.claims(),
                "iss": ASSERTION_ISSUER,
                "aud": ASSERTION_AUDIENCE,
                "iat": int(now),
                "exp": int(expires),
            },
            self._key,
            algorithm="EdDSA",
        )
        self._cache[caller] = (token, expires)
        return token


@dataclass
class AssertionVerifier:
    """Checks assertions against the gateway's public key; remembers the good ones until expiry."""

    public_key: Ed25519PublicKey | None
    _cache: dict[str, tuple[Caller, float]] = field(default_factory=dict)

    def verify(self, token: str | None) -> Caller:
        if self.public_key is None:
            raise Unauthorized(
                "this instance has no gateway public key (BAZAAR_GATEWAY_PUBLIC_KEY_FILE), so it "
                "accepts no requests; call it through the gateway"
            )
        if not token:
            raise Unauthorized("call this service through the gateway (no identity assertion)")
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["EdDSA"],
                audience=ASSERTION_AUDIENCE,
                issuer=ASSERTION_ISSUER,
                options={"require": ["exp", "iss", "aud", "sub", "org"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"identity assertion rejected: {exc}") from exc
        caller = Caller.from_claims(claims)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = (caller, float(claims["exp"]))
        return caller
