"""Identity's own settings (`BAZAAR_IDENTITY_*`), next to the chassis's `BAZAAR_*` ones.

What only identity needs lives here: the passphrase that encrypts its signing keys at rest, the
token lifetime, the issuer and the file of service clients. Production refuses the demo values.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bazaar_chassis import ConfigurationError, ServiceSettings

DEMO_KEY_PASSPHRASE = "bazaar-demo-key-passphrase"  # noqa: S105 - refused in production mode


class IdentitySettings(BaseSettings):
    """How identity signs, how long its tokens live, and which service clients it knows."""

    model_config = SettingsConfigDict(env_prefix="BAZAAR_IDENTITY_", extra="ignore")

    key_passphrase: SecretStr = Field(
        default=SecretStr(DEMO_KEY_PASSPHRASE),
        description="encrypts the private signing keys stored in the database",
    )
    token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    service_clients_file: Path | None = Field(
        default=None, description='a JSON object {"<client_id>": "<secret>"} upserted on start'
    )
    issuer: str = Field(default="bazaar-identity", min_length=1)


class InsecureConfiguration(ConfigurationError):
    """The settings would run a production instance with a publicly known secret."""


def refuse_insecure(service: ServiceSettings, identity: IdentitySettings) -> None:
    """Stop before anything starts when production mode would use the demo passphrase."""
    if (
        service.mode == "production"
        and identity.key_passphrase.get_secret_value() == DEMO_KEY_PASSPHRASE
    ):
        raise InsecureConfiguration(
            "BAZAAR_IDENTITY_KEY_PASSPHRASE must be set in production mode: the demo passphrase "
            "would let anyone decrypt the token signing keys"
        )
