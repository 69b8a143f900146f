"""Composition root of the notification service: the delivery setting picks the adapter."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import (
    BackgroundJob,
    Runtime,
    ServiceDefinition,
    ServiceSettings,
    create_app,
    repeat,
)
from bazaar_notification import events, use_cases
from bazaar_notification.api import v1
from bazaar_notification.consumers import handlers
from bazaar_notification.mailer import SmtpMailer
from bazaar_notification.settings import NotificationSettings
from bazaar_notification.store import MessageStore

DEFINITION = ServiceDefinition(
    name="notification",
    version=version("bazaar-notification"),
    description=(
        "Order confirmations, cancellations and recall notices for customers: stored, and "
        "sent by SMTP."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=MessageStore,
)


def smtp_sender(notification: NotificationSettings) -> BackgroundJob:
    """The outbox-style sender: every few seconds, deliver the due messages."""
    mailer = SmtpMailer(
        host=notification.smtp_host,
        port=notification.smtp_port,
        from_address=notification.smtp_from,
        timeout_seconds=notification.smtp_timeout_seconds,
    )

    async def send_due(runtime: Runtime) -> None:
        async def round_() -> None:
            await use_cases.deliver_due(
                units=runtime.units,
                mailer=mailer,
                retry=notification.retry(),
                lease=timedelta(seconds=notification.lease_seconds),
                batch=notification.send_batch,
            )

        await repeat(round_, every=notification.send_every_seconds, name="smtp-sender")

    return send_due


def build_app(
    settings: ServiceSettings | None = None,
    notification: NotificationSettings | None = None,
) -> FastAPI:
    notification = notification or NotificationSettings()
    send = notification.delivery == "smtp"
    definition = replace(
        DEFINITION,
        handlers=handlers(send=send),
        background=[smtp_sender(notification)] if send else [],
    )
    return create_app(definition, settings)
