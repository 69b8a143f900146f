"""Where the payment service finds its provider, and the secrets it shares with it.

`BAZAAR_PAYMENT_PROVIDER_URL`, `BAZAAR_PAYMENT_PROVIDER_API_KEY`,
`BAZAAR_PAYMENT_PROVIDER_WEBHOOK_SECRET` (`bazaar up` generates both secrets).
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from bazaar_chassis import DEMO_SECRET, ConfigurationError


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAZAAR_PAYMENT_", extra="ignore")

    provider_url: str = "http://127.0.0.1:8900"
    provider_api_key: str = DEMO_SECRET
    provider_webhook_secret: str = DEMO_SECRET
    webhook_tolerance_seconds: float = 300.0
    worker_poll_seconds: float = 1.0  # a safety net: commits wake the worker (worker.py)

    def check(self, *, mode: str) -> PaymentSettings:
        if mode == "production" and DEMO_SECRET in (
            self.provider_api_key,
            self.provider_webhook_secret,
        ):
            raise ConfigurationError(
                "BAZAAR_PAYMENT_PROVIDER_API_KEY and BAZAAR_PAYMENT_PROVIDER_WEBHOOK_SECRET must "
                "be set in production mode (the demo secret is refused)"
            )
        return self
