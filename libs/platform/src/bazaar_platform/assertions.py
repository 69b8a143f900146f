"""The gateway's side of identity assertions: signing them (docs/adr/0005).

Services only verify (`bazaar_chassis.caller`); the private key, and so this module, belongs to
the gateway, and to the tests and benchmarks that play it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import SigningKey

from bazaar_chassis.caller import ASSERTION_ISSUER, JWS_HEADER, Caller, b64url, query_hash

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


class AssertionSigner:
    """Issues identity assertions; only the gateway (and tests) hold the private key."""

    def __init__(
        self, private_key: Ed25519PrivateKey, *, ttl_seconds: float = ASSERTION_TTL_SECONDS
    ) -> None:
        self._key = SigningKey(private_key.private_bytes_raw())
        self._ttl = ttl_seconds

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
            jti=b64url(os.urandom(16)).decode(),
        )
        if (digest := query_hash(query)) is not None:
            claims["hq"] = digest
        signing_input = JWS_HEADER + b"." + b64url(orjson.dumps(claims))
        signature = self._key.sign(signing_input).signature
        return (signing_input + b"." + b64url(signature)).decode()
