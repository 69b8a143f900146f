"""The gateway's first look at identity's keys and revocations after a start: the refresh limit
protects identity from a flood of fetches, but a fetch that found no identity instance sent
nothing (identity announces its first key before it registers), and the first tokens, which
come all at once, wait for the one fetch under way rather than fail."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis.errors import Unavailable
from bazaar_gateway.authentication import Authenticator
from bazaar_gateway.directory import NoLiveInstance
from bazaar_gateway.revocation import Revoked

ISSUER = "bazaar-identity"
KID = "key-1"


def _signed_token(key: Ed25519PrivateKey) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 300,
        "org": "public",
        "roles": ["customer"],
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": KID})


def _authenticator(key: Ed25519PrivateKey, first_failure: Exception) -> Authenticator:
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    answers: list[Any] = [first_failure, {"keys": [{**jwk, "kid": KID}]}]

    async def fetch_jwks() -> dict[str, Any]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    return Authenticator(fetch_jwks=fetch_jwks, issuer=ISSUER)


async def test_a_token_right_after_a_fetch_that_found_no_identity_is_checked() -> None:
    key = Ed25519PrivateKey.generate()
    authenticator = _authenticator(key, NoLiveInstance("no identity instance is registered"))
    await authenticator.refresh()  # the key announcement, heard before identity registered
    caller = await authenticator.caller(f"Bearer {_signed_token(key)}")
    assert caller.subject == "user-1"


async def test_a_token_right_after_a_fetch_identity_failed_waits_for_the_refresh_limit() -> None:
    key = Ed25519PrivateKey.generate()
    authenticator = _authenticator(key, RuntimeError("identity answered 500 for its JWKS"))
    await authenticator.refresh()
    with pytest.raises(Unavailable):
        await authenticator.caller(f"Bearer {_signed_token(key)}")


async def test_tokens_arriving_together_at_a_fresh_gateway_all_wait_for_the_one_fetch() -> None:
    """The first requests after a start come at once: none may fail while the keys and the
    revocations are still on their way."""
    key = Ed25519PrivateKey.generate()
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    fetches = {"jwks": 0, "revocations": 0}

    async def fetch_jwks() -> dict[str, Any]:
        fetches["jwks"] += 1
        await asyncio.sleep(0.01)
        return {"keys": [{**jwk, "kid": KID}]}

    async def fetch_revocations() -> list[Revoked]:
        fetches["revocations"] += 1
        await asyncio.sleep(0.01)
        return []

    authenticator = Authenticator(
        fetch_jwks=fetch_jwks, issuer=ISSUER, fetch_revocations=fetch_revocations
    )
    token = _signed_token(key)
    callers = await asyncio.gather(*(authenticator.caller(f"Bearer {token}") for _ in range(8)))
    assert {caller.subject for caller in callers} == {"user-1"}
    assert fetches == {"jwks": 1, "revocations": 1}
