"""Identity's own settings (`BAZAAR_IDENTITY_*`), next to the chassis's `BAZAAR_*` ones.

What only identity needs lives here: the passphrase that encrypts its signing keys at rest, the
token lifetime, the issuer, the file of service clients and the first-admin bootstrap token.
The passphrase has no default (`bazaar up` generates one per data dir); the demo passphrase is
for development test fixtures only and production refuses it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bazaar_chassis import ConfigurationError, ServiceSettings

DEMO_KEY_PASSPHRASE = "bazaar-demo-key-passphrase"  # noqa: S105 - test fixtures; refused in prod


class IdentitySettings(BaseSettings):
    """How identity signs, how long its tokens live, and which service clients it knows."""

    model_config = SettingsConfigDict(env_prefix="BAZAAR_IDENTITY_", extra="ignore")

    key_passphrase: SecretStr | None = Field(
        default=None, description="encrypts the private signing keys stored in the database"
    )
    previous_key_passphrase: SecretStr | None = Field(
        default=None,
        description="keys still encrypted with this one are re-encrypted on start (a change)",
    )
    bootstrap_token: SecretStr | None = Field(
        default=None,
        description="lets POST /identity/1/bootstrap create the first admin, while none exists",
    )
    token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    service_clients_file: Path | None = Field(
        default=None, description='a JSON object {"<client_id>": "<secret>"} upserted on start'
    )
    issuer: str = Field(default="bazaar-identity", min_length=1)


class InsecureConfiguration(ConfigurationError):
    """The settings would run a production instance with a publicly known secret."""


def refuse_insecure(service: ServiceSettings, identity: IdentitySettings) -> None:
    """Stop before anything starts without a passphrase, or in production with the demo one."""
    if identity.key_passphrase is None:
        raise InsecureConfiguration(
            "BAZAAR_IDENTITY_KEY_PASSPHRASE must be set: it encrypts the token signing keys "
            "(`bazaar up` generates one per data dir in secrets/)"
        )
    if (
        service.mode == "production"
        and identity.key_passphrase.get_secret_value() == DEMO_KEY_PASSPHRASE
    ):
        raise InsecureConfiguration(
            "BAZAAR_IDENTITY_KEY_PASSPHRASE must be set in production mode: the demo passphrase "
            "would let anyone decrypt the token signing keys"
        )


def key_passphrase(identity: IdentitySettings) -> SecretStr:
    """The passphrase, once `refuse_insecure` has let the settings through."""
    if identity.key_passphrase is None:
        raise InsecureConfiguration("BAZAAR_IDENTITY_KEY_PASSPHRASE must be set")
    return identity.key_passphrase
