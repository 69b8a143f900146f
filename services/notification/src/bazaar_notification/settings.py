"""Notification's own settings (`BAZAAR_NOTIFICATION_*`), next to the chassis's `BAZAAR_*` ones.

`delivery` chooses the adapter: `store` keeps messages, readable through the API, and sends
nothing; `smtp` also sends each message once through the SMTP server named here, retrying with
a doubling back-off.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bazaar_notification.domain import RetryPolicy


class NotificationSettings(BaseSettings):
    """How messages leave the platform, if they do."""

    model_config = SettingsConfigDict(env_prefix="BAZAAR_NOTIFICATION_", extra="ignore")

    delivery: Literal["store", "smtp"] = "store"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="Bazaar <orders@bazaar.test>", min_length=3)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    send_every_seconds: float = Field(default=1.0, gt=0, description="how often the sender looks")
    send_batch: int = Field(default=50, ge=1, le=1000)
    lease_seconds: float = Field(
        default=60.0, gt=0, description="a claimed message is not retried by others meanwhile"
    )
    max_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)

    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_seconds=self.retry_base_seconds,
            max_seconds=self.retry_max_seconds,
        )
