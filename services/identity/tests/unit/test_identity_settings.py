"""Identity's settings: environment names, defaults, and what production mode refuses."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing.identity import assertion_key_for
from bazaar_identity.service_clients import refuse_insecure_secrets
from bazaar_identity.settings import (
    DEMO_KEY_PASSPHRASE,
    IdentitySettings,
    InsecureConfiguration,
    refuse_insecure,
)

PRODUCTION = ServiceSettings(
    mode="production",
    client_secret="a-real-secret-for-the-test",
    assertion_key=SecretStr(assertion_key_for("identity")),
)


def test_the_settings_come_from_bazaar_identity_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAZAAR_IDENTITY_KEY_PASSPHRASE", "from the environment")
    monkeypatch.setenv("BAZAAR_IDENTITY_TOKEN_TTL_SECONDS", "300")
    monkeypatch.setenv("BAZAAR_IDENTITY_ISSUER", "https://id.example.com")
    settings = IdentitySettings()
    assert settings.key_passphrase == SecretStr("from the environment")
    assert (settings.token_ttl_seconds, settings.issuer) == (300, "https://id.example.com")
    assert settings.service_clients_file is None


def test_the_defaults_suit_development() -> None:
    settings = IdentitySettings()
    assert settings.token_ttl_seconds == 900
    assert settings.issuer == "bazaar-identity"
    assert settings.key_passphrase == SecretStr(DEMO_KEY_PASSPHRASE)  # tests/conftest.py sets it
    assert DEMO_KEY_PASSPHRASE not in repr(settings)


def test_production_refuses_the_demo_passphrase_and_names_the_variable_to_set() -> None:
    with pytest.raises(InsecureConfiguration, match="BAZAAR_IDENTITY_KEY_PASSPHRASE"):
        refuse_insecure(PRODUCTION, IdentitySettings())


def test_production_accepts_a_passphrase_of_its_own() -> None:
    refuse_insecure(PRODUCTION, IdentitySettings(key_passphrase=SecretStr("only ours to know")))


def test_development_accepts_the_demo_passphrase() -> None:
    refuse_insecure(ServiceSettings(), IdentitySettings())


@pytest.mark.parametrize("secret", ["bazaar-demo-insecure", "short"])
def test_production_refuses_a_demo_or_short_service_client_secret(secret: str) -> None:
    with pytest.raises(InsecureConfiguration, match="'cart'"):
        refuse_insecure_secrets({"cart": secret}, mode="production")
    refuse_insecure_secrets({"cart": secret}, mode="development")
