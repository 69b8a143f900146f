"""Process settings, read from `BAZAAR_*` environment variables (pydantic-settings).

`PlatformSettings` is what every process shares (the gateway extends it too); `ServiceSettings`
serves every service: what differs between services is code in its composition root.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "bazaar-demo-insecure"  # noqa: S105 - refused outside development mode, see below


class PlatformSettings(BaseSettings):
    """What every Bazaar process reads the same way: the mode, its data, the bus, where it listens.

    The gateway's and the services' settings both extend it, so each field is defined once.
    """

    model_config = SettingsConfigDict(env_prefix="BAZAAR_", extra="ignore")

    mode: Literal["development", "production"] = "development"
    data_dir: Path = Path(".bazaar")
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: str | None = None
    host: str = "127.0.0.1"
    log_level: str = "info"
    # Where spans go (an OTLP/HTTP collector's base URL); unset: the standard OTEL_EXPORTER_OTLP_*
    # variables, else nowhere. `bazaar up` points every process at its console.
    otlp_endpoint: str | None = None


class ServiceSettings(PlatformSettings):
    """Where a service finds its database and its peers, and how it listens."""

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default: a SQLite file <data_dir>/<service>.db",
    )
    port: int = 0
    public_host: str | None = Field(
        default=None, description="host the gateway should use to reach this instance"
    )
    instance_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    gateway_url: str = "http://127.0.0.1:8000"
    client_secret: str = DEMO_SECRET
    assertion_key: SecretStr | None = Field(
        default=None,
        description="this service's key for the gateway's identity assertions (ADR 9); "
        "only the gateway and this service hold it",
    )
    assertion_key_file: Path | None = None
    heartbeat_seconds: float = 2.0
    weight: int = Field(
        default=100,
        ge=0,
        description="this instance's share of traffic among its major's instances",
    )
    outbox_poll_seconds: float = 1.0
    consumer_max_deliver: int = 5
    metrics_token_sha256: str | None = Field(
        default=None,
        description="hex SHA-256 of the bearer token `/metrics` asks for (the console's and "
        "Prometheus's); unset: `/metrics` is open",
    )

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> ServiceSettings:
        if self.mode == "production" and self.client_secret == DEMO_SECRET:
            raise ValueError(
                "BAZAAR_CLIENT_SECRET must be set in production mode (the demo secret is refused)"
            )
        if self.mode == "production" and not (self.assertion_key or self.assertion_key_file):
            raise ValueError(
                "BAZAAR_ASSERTION_KEY_FILE must be set in production mode: without it the "
                "service cannot tell gateway traffic from anything else"
            )
        return self

    def assertion_key_for(self, service: str) -> str | None:
        """The key `service` checks the gateway's assertions with, given inline or as a file.

        Settings hold one service's key, whatever the name; the name is for the test suite's
        settings, which give each service its own key from one test secret.
        """
        if self.assertion_key:
            return self.assertion_key.get_secret_value()
        if self.assertion_key_file:
            return self.assertion_key_file.read_text()
        return None

    def database_url_for(self, service: str) -> str:
        """The configured URL, or this service's own SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        path = (self.data_dir / f"{service}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"
