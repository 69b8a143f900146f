"""Storefront settings, from `BAZAAR_*` environment variables: where the gateway is, and the
key that signs the shoppers' session cookies."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class StorefrontSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAZAAR_", extra="ignore")

    data_dir: Path = Path(".bazaar")
    host: str = "127.0.0.1"
    port: int = 0
    gateway_url: str = "http://127.0.0.1:8000"  # the ONLY thing the storefront talks to
    storefront_session_key: str | None = None  # else made once in <data dir>/secrets
    storefront_cookie_secure: bool = False  # True behind TLS: the cookie is then HTTPS-only
    storefront_timeout_seconds: float = 10.0

    def session_key(self) -> bytes:
        """The cookie-signing key: configured, or made once and kept (0600) in the data dir."""
        if self.storefront_session_key:
            return self.storefront_session_key.encode()
        path = self.data_dir / "secrets" / "storefront-session.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32))
        return path.read_text().strip().encode()
