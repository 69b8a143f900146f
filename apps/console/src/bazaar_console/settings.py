"""The console's own settings, from `BAZAAR_CONSOLE_*` (and the operations token the gateway and
every service's `/metrics` ask scrapers for, `BAZAAR_OPERATIONS_TOKEN`)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAZAAR_CONSOLE_", extra="ignore")

    scrape_seconds: float = 15.0  # as often as Prometheus scrapes by default
    sample_retention_hours: float = 24.0
    span_limit: int = 200_000  # the newest spans kept; older ones are pruned
    counter_limit: int = 500_000  # the newest per-instance counter gains kept
    prometheus_url: str | None = None  # read metrics from this Prometheus, not the own store
    operations_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("BAZAAR_CONSOLE_OPERATIONS_TOKEN", "BAZAAR_OPERATIONS_TOKEN"),
    )
