"""Gateway settings, from `BAZAAR_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAZAAR_", extra="ignore")

    host: str = "127.0.0.1"
    gateway_port: int = 8000
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: str | None = None
    data_dir: Path = Path(".bazaar")
    log_level: str = "info"
    upstream_timeout_seconds: float = 10.0
    upstream_max_in_flight: int = 256
    upstream_queue_seconds: float = 1.0
    max_body_bytes: int = 1_048_576
