"""Development and production mode: what identity refuses, and what it never creates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import running_app
from bazaar_chassis.testing.identity import assertion_key_for
from bazaar_identity.__main__ import main
from bazaar_identity.service import build_app
from bazaar_identity.service_clients import ClientsFileInvalid
from bazaar_identity.settings import IdentitySettings, InsecureConfiguration

Login = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def production(service_settings: ServiceSettings) -> ServiceSettings:
    return service_settings.model_copy(
        update={"mode": "production", "client_secret": "a-real-client-secret"}
    )


@pytest.fixture
def production_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BAZAAR_MODE", "production")
    monkeypatch.setenv("BAZAAR_CLIENT_SECRET", "a-real-client-secret")
    monkeypatch.setenv("BAZAAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BAZAAR_ASSERTION_KEY", assertion_key_for("identity"))
    monkeypatch.delenv("BAZAAR_IDENTITY_KEY_PASSPHRASE", raising=False)


@pytest.mark.usefixtures("production_environment")
def test_production_mode_with_the_demo_passphrase_refuses_to_build() -> None:
    with pytest.raises(InsecureConfiguration, match="BAZAAR_IDENTITY_KEY_PASSPHRASE must be set"):
        build_app()


@pytest.mark.usefixtures("production_environment")
def test_the_command_says_in_one_line_why_it_will_not_start() -> None:
    with pytest.raises(SystemExit) as exited:
        main()
    message = str(exited.value.code)
    assert message.startswith("cannot start: BAZAAR_IDENTITY_KEY_PASSPHRASE")
    assert "\n" not in message


async def test_production_mode_starts_with_its_own_passphrase_and_has_no_demo_accounts(
    production: ServiceSettings, login: Login
) -> None:
    settings = IdentitySettings(key_passphrase=SecretStr("a passphrase only ops know"))
    async with running_app(build_app(production, settings)) as client:
        assert (await login(client, "admin@bazaar.test")).status_code == 401
        organizations = (await client.get("/identity/1/organizations")).json()["items"]
        assert [o["key"] for o in organizations] == ["bazaar", "public"]
        assert len((await client.get("/identity/1/jwks")).json()["keys"]) == 1


def test_production_mode_refuses_a_service_client_with_the_demo_secret(
    production: ServiceSettings, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({"cart": "bazaar-demo-insecure"}))
    settings = IdentitySettings(
        key_passphrase=SecretStr("a passphrase only ops know"), service_clients_file=clients
    )
    with pytest.raises(InsecureConfiguration, match="'cart'"):
        build_app(production, settings)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "not valid JSON"),
        ('["cart"]', "must be a JSON object"),
        ('{"cart": ""}', "must be a JSON object"),
        ('{"Not A Service": "secret-123"}', "client id 'Not A Service' is invalid"),
    ],
)
def test_an_unusable_clients_file_stops_the_start_with_what_to_fix(
    service_settings: ServiceSettings, tmp_path: Path, content: str, complaint: str
) -> None:
    clients = tmp_path / "clients.json"
    clients.write_text(content)
    with pytest.raises(ClientsFileInvalid, match=complaint):
        build_app(service_settings, IdentitySettings(service_clients_file=clients))


def test_a_missing_clients_file_is_named(service_settings: ServiceSettings, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(ClientsFileInvalid, match="cannot be read"):
        build_app(service_settings, IdentitySettings(service_clients_file=missing))


async def test_demo_accounts_are_created_once_however_often_identity_starts(
    service_settings: ServiceSettings, login: Login
) -> None:
    async with running_app(build_app(service_settings)) as client:
        first = await login(client, "shopper@bazaar.test")
    async with running_app(build_app(service_settings)) as client:
        again = await login(client, "shopper@bazaar.test")
        duplicate = await client.post(
            "/identity/1/users",
            json={
                "email": "shopper@bazaar.test",
                "password": "another password",
                "name": "Impostor",
                "organization": "public",
                "roles": ["customer"],
            },
        )
    assert first.status_code == again.status_code == 200
    assert duplicate.status_code == 409
