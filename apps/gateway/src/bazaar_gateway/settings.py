"""Gateway settings, from `BAZAAR_*` environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator

from bazaar_chassis.caller import assertion_key
from bazaar_chassis.settings import PlatformSettings
from bazaar_platform.serving import KEEPALIVE_SECONDS


class GatewaySettings(PlatformSettings):
    """The shared platform fields, plus how the gateway listens, forwards, signs and limits."""

    gateway_port: int = 8000
    upstream_timeout_seconds: float = 10.0
    upstream_max_in_flight: int = 256
    upstream_queue_seconds: float = 1.0
    max_body_bytes: int = 1_048_576
    # Who reads the clients' connections (front.py, ADR 10): "lean" forwards plain requests for
    # services itself and hands the rest to aiohttp; "aiohttp" leaves everything to aiohttp.
    gateway_front: Literal["lean", "aiohttp"] = "lean"
    keepalive_seconds: float = KEEPALIVE_SECONDS  # an idle client connection is closed after it
    head_seconds: float = 10.0  # the lean front's time for a head (and a body: front.py)
    # The secret each service's assertion key is derived from (ADR 9); only the gateway holds it.
    assertion_secret: SecretStr | None = None
    assertion_secret_file: Path | None = None
    identity_issuer: str = "bazaar-identity"
    rate_limit_per_second: float = 200.0  # per client; 0 turns rate limiting off
    rate_limit_burst: int = 400
    # Registry trust (`registry_trust.py`): the hosts service instances may live on, and the only
    # identity instances to route to and fetch signing keys from (`bazaar up` pins the one it
    # started; empty = any identity instance whose entry identity's own NATS user wrote).
    upstream_hosts: list[str] = ["127.0.0.1"]
    identity_urls: list[str] = []
    # A bearer token for probes and scrapers: readiness details and metrics without a user.
    operations_token: SecretStr | None = None
    # The storefront's URL: `/` and `/shop/*` are forwarded to it (none: those paths are 404).
    storefront_url: str | None = None
    # Signs the console's session cookies (console_session.py); none: a key made at start, so
    # sessions end when the gateway restarts, and several gateways need one shared key.
    console_session_key: SecretStr | None = None

    @model_validator(mode="after")
    def _needs_a_secret(self) -> GatewaySettings:
        if not (self.assertion_secret or self.assertion_secret_file):
            raise ValueError(
                "the gateway needs its assertion secret: set BAZAAR_ASSERTION_SECRET_FILE; "
                "`bazaar up` creates one in <data dir>/secrets"
            )
        return self

    def assertion_secret_bytes(self) -> bytes:
        if self.assertion_secret:
            return assertion_key(self.assertion_secret.get_secret_value())
        assert self.assertion_secret_file is not None
        return assertion_key(self.assertion_secret_file.read_text())

    def console_session_key_bytes(self) -> bytes:
        if self.console_session_key is None:
            return secrets.token_bytes(32)
        return self.console_session_key.get_secret_value().encode()
