"""Signing keys: rotation without downtime, expiry, foreign keys, and the key passphrase."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, running_app
from bazaar_identity.keys import UndecryptableKey
from bazaar_identity.service import build_app
from bazaar_identity.settings import IdentitySettings

Login = Callable[..., Awaitable[httpx.Response]]
Verify = Callable[[httpx.AsyncClient, str], Awaitable[dict[str, Any]]]


async def admin_token(client: httpx.AsyncClient, login: Login) -> str:
    reply = await login(client, "admin@bazaar.test")
    assert reply.status_code == 200, reply.text
    token: str = reply.json()["access_token"]
    return token


async def published_kids(client: httpx.AsyncClient) -> list[str]:
    keys = (await client.get("/identity/1/jwks")).json()["keys"]
    for key in keys:
        assert (key["kty"], key["crv"], key["alg"], key["use"]) == (
            "OKP",
            "Ed25519",
            "EdDSA",
            "sig",
        )
        assert "d" not in key  # never the private part
    return [key["kid"] for key in keys]


async def test_the_jwks_publishes_one_active_key_from_the_start(client: httpx.AsyncClient) -> None:
    assert len(await published_kids(client)) == 1


async def test_a_token_signed_before_a_rotation_still_verifies_and_new_ones_use_the_new_key(
    client: httpx.AsyncClient, login: Login, verify: Verify, event_probe: EventProbe
) -> None:
    before = await admin_token(client, login)
    old_kid = jwt.get_unverified_header(before)["kid"]

    rotated = await client.post("/identity/1/keys/rotate")
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid
    assert await published_kids(client) == [new_kid, old_kid]

    assert (await verify(client, before))["email"] == "admin@bazaar.test"
    after = await admin_token(client, login)
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await verify(client, after))["email"] == "admin@bazaar.test"
    announced = await event_probe.expect(
        "identity.signing_key_activated", where=lambda e: e.data["kid"] == new_kid
    )
    assert announced.data["published"] == [new_kid, old_kid]


async def test_a_retiring_key_leaves_the_jwks_once_its_tokens_have_expired(
    client: httpx.AsyncClient, login: Login, verify: Verify, clock: Any
) -> None:
    before = await admin_token(client, login)
    old_kid = jwt.get_unverified_header(before)["kid"]
    new_kid = (await client.post("/identity/1/keys/rotate")).json()["kid"]

    clock.advance(900 + 60)
    assert await published_kids(client) == [new_kid, old_kid]
    clock.advance(1)
    assert await published_kids(client) == [new_kid]
    with pytest.raises(jwt.InvalidKeyError, match=old_kid):
        await verify(client, before)
    # A later rotation also records the retirement; the newest key is still there.
    newest = (await client.post("/identity/1/keys/rotate")).json()["kid"]
    assert await published_kids(client) == [newest, new_kid]


async def test_an_expired_token_fails_verification(
    client: httpx.AsyncClient, login: Login, verify: Verify, clock: Any
) -> None:
    clock.advance(-(900 + 1))  # issue as if 901 s ago: it expired a second ago
    token = await admin_token(client, login)
    with pytest.raises(jwt.ExpiredSignatureError):
        await verify(client, token)


async def test_a_token_signed_with_a_key_identity_does_not_publish_fails(
    client: httpx.AsyncClient, login: Login, verify: Verify
) -> None:
    genuine = jwt.decode(await admin_token(client, login), options={"verify_signature": False})
    forged_claims = {**genuine, "roles": ["admin", "superuser"]}
    forger = Ed25519PrivateKey.generate()
    real_kid = (await published_kids(client))[0]

    with_real_kid = jwt.encode(forged_claims, forger, algorithm="EdDSA", headers={"kid": real_kid})
    with pytest.raises(jwt.InvalidSignatureError):
        await verify(client, with_real_kid)
    with_own_kid = jwt.encode(forged_claims, forger, algorithm="EdDSA", headers={"kid": "mine"})
    with pytest.raises(jwt.InvalidKeyError):
        await verify(client, with_own_kid)


async def test_keys_made_with_one_passphrase_refuse_to_start_with_another(
    service_settings: ServiceSettings,
) -> None:
    first = IdentitySettings(key_passphrase=SecretStr("the first passphrase"))
    async with running_app(build_app(service_settings, first)) as client:
        assert (await client.get("/identity/1/jwks")).status_code == 200
    second = IdentitySettings(key_passphrase=SecretStr("another passphrase"))
    with pytest.raises(UndecryptableKey, match="BAZAAR_IDENTITY_KEY_PASSPHRASE"):
        async with running_app(build_app(service_settings, second)):
            pass


async def test_a_restart_keeps_the_keys_so_earlier_tokens_stay_valid(
    service_settings: ServiceSettings, login: Login, verify: Verify
) -> None:
    async with running_app(build_app(service_settings)) as client:
        token = await admin_token(client, login)
    async with running_app(build_app(service_settings)) as client:
        assert (await verify(client, token))["org"] == "bazaar"
        assert len(await published_kids(client)) == 1
