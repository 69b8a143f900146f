"""The gateway's side of identity assertions: one key per service, and signing (docs/adr/0009).

The gateway holds one secret and derives each service's key from it (HKDF-SHA256, the service's
name as context); `bazaar up` writes each service only its own key. Services only verify
(`bazaar_chassis.caller`); the secret, and so this module, belongs to the gateway, to
`bazaar up`, and to the tests and benchmarks that play the gateway.
"""

from __future__ import annotations

import random
import time
from typing import Any

import orjson
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bazaar_chassis.caller import (
    ASSERTION_ISSUER,
    HS256,
    JWS_HEADER,
    Caller,
    assertion_key,
    b64url,
    query_hash,
)

ASSERTION_TTL_SECONDS = 10.0


def claims_of(caller: Caller) -> dict[str, Any]:
    """The claims that name `caller`; `Caller.from_claims` reads them back."""
    return {
        "sub": caller.subject,
        "kind": caller.kind,
        "org": caller.organization,
        "roles": list(caller.roles),
        **({"email": caller.email} if caller.email else {}),
        **({"tid": caller.token_id} if caller.token_id else {}),
        **({"texp": caller.token_expires} if caller.token_expires else {}),
    }


def service_key(secret: bytes, service: str) -> str:
    """The key `service` verifies assertions with: base64url text, one per service and secret."""
    derived = HKDF(
        algorithm=SHA256(), length=32, salt=None, info=b"bazaar assertion key: " + service.encode()
    ).derive(secret)
    return b64url(derived).decode()


class AssertionSigner:
    """Issues identity assertions; only the gateway (and tests) hold the secret."""

    def __init__(self, secret: bytes, *, ttl_seconds: float = ASSERTION_TTL_SECONDS) -> None:
        self._secret = secret
        self._keys: dict[str, bytes] = {}  # per audience, derived once
        self._macs: dict[str, HS256] = {}  # per audience, keyed once
        self._ttl = ttl_seconds

    def key_for(self, service: str) -> bytes:
        if (key := self._keys.get(service)) is None:
            key = self._keys[service] = assertion_key(service_key(self._secret, service))
        return key

    def _mac_for(self, service: str) -> HS256:
        if (mac := self._macs.get(service)) is None:
            mac = self._macs[service] = HS256(self.key_for(service))
        return mac

    def assertion(
        self, caller: Caller, *, audience: str, method: str, path: str, query: str = ""
    ) -> str:
        """A fresh, single-use assertion that `caller` sends `method path?query` to `audience`."""
        now = int(time.time())
        claims = claims_of(caller)
        claims.update(
            iss=ASSERTION_ISSUER,
            aud=audience,
            htm=method.upper(),
            htp=path,
            iat=now,
            exp=now + int(self._ttl),
            # Unique, not secret: only a valid MAC puts a jti in a replay cache. Not os.urandom,
            # which releases the GIL (see HS256); random reseeds itself in a forked child.
            jti=b64url(random.getrandbits(128).to_bytes(16, "big")).decode(),
        )
        if (digest := query_hash(query)) is not None:
            claims["hq"] = digest
        signing_input = JWS_HEADER + b"." + b64url(orjson.dumps(claims))
        signature = self._mac_for(audience)(signing_input)
        return (signing_input + b"." + b64url(signature)).decode()
