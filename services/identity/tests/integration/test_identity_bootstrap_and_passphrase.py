"""The first admin via the one-time bootstrap token, and the key passphrase of each data dir."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from pydantic import SecretStr

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import running_app
from bazaar_identity.keys import UndecryptableKey
from bazaar_identity.service import build_app
from bazaar_identity.settings import DEMO_KEY_PASSPHRASE, IdentitySettings, InsecureConfiguration

Login = Callable[..., Awaitable[httpx.Response]]
TOKEN = "the-bootstrap-token-of-this-test"
PASSWORD = "a long admin password"


@pytest.fixture
def production(service_settings: ServiceSettings) -> ServiceSettings:
    return service_settings.model_copy(
        update={"mode": "production", "client_secret": "a-real-client-secret"}
    )


def bootstrap_request(token: str, email: str = "ops@example.com") -> dict[str, str]:
    return {
        "bootstrap_token": token,
        "email": email,
        "password": PASSWORD,
        "organization": "bazaar",
    }


async def test_the_bootstrap_token_creates_the_first_admin_once_and_only_with_the_right_token(
    production: ServiceSettings, login: Login
) -> None:
    settings = IdentitySettings(
        key_passphrase=SecretStr("ops only"), bootstrap_token=SecretStr(TOKEN)
    )
    async with running_app(build_app(production, settings)) as client:
        wrong = await client.post("/identity/1/bootstrap", json=bootstrap_request("guessed"))
        assert wrong.status_code == 403
        created = await client.post("/identity/1/bootstrap", json=bootstrap_request(TOKEN))
        assert created.status_code == 201, created.text
        assert created.json()["memberships"] == [{"organization": "bazaar", "role": "admin"}]
        again = await client.post(
            "/identity/1/bootstrap", json=bootstrap_request(TOKEN, "second@example.com")
        )
        assert again.status_code == 409
        assert (await login(client, "ops@example.com", PASSWORD)).status_code == 200
        assert (await login(client, "second@example.com", PASSWORD)).status_code == 401


async def test_without_a_bootstrap_token_configured_bootstrap_is_refused(
    production: ServiceSettings,
) -> None:
    settings = IdentitySettings(key_passphrase=SecretStr("ops only"))
    async with running_app(build_app(production, settings)) as client:
        reply = await client.post("/identity/1/bootstrap", json=bootstrap_request(""))
        assert reply.status_code == 403


def test_identity_refuses_to_start_without_a_key_passphrase(
    service_settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAZAAR_IDENTITY_KEY_PASSPHRASE")
    with pytest.raises(InsecureConfiguration, match="generates one per data dir"):
        build_app(service_settings, IdentitySettings())


async def test_keys_sealed_with_the_previous_passphrase_are_resealed_with_the_new_one(
    service_settings: ServiceSettings,
) -> None:
    old = IdentitySettings(key_passphrase=SecretStr(DEMO_KEY_PASSPHRASE))
    async with running_app(build_app(service_settings, old)) as client:
        kids = (await client.get("/identity/1/jwks")).json()["keys"]
    changed = IdentitySettings(
        key_passphrase=SecretStr("generated for this data dir"),
        previous_key_passphrase=SecretStr(DEMO_KEY_PASSPHRASE),
    )
    async with running_app(build_app(service_settings, changed)) as client:
        assert (await client.get("/identity/1/jwks")).json()["keys"] == kids
    new_only = IdentitySettings(key_passphrase=SecretStr("generated for this data dir"))
    async with running_app(build_app(service_settings, new_only)) as client:
        assert (await client.get("/identity/1/jwks")).json()["keys"] == kids
    with pytest.raises(UndecryptableKey):
        async with running_app(build_app(service_settings, old)):
            pass
