"""The `smtp` delivery setting against a real SMTP server (aiosmtpd) started by the test: each
message is sent once, and a server that is down at first gets it after the back-off."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI

from bazaar_chassis import Caller, ServiceSettings
from bazaar_chassis.testing import FactPublisher, client_as, eventually
from bazaar_notification import use_cases
from bazaar_notification.domain import MessageQuery
from bazaar_notification.mailer import SmtpMailer
from bazaar_notification.service import build_app
from bazaar_notification.settings import NotificationSettings
from bazaar_notification.templates import TEMPLATES
from bazaar_platform.nats_server import NatsServer, free_port

SAM = Caller(
    subject="u-sam",
    kind="user",
    organization="public",
    roles=("customer",),
    email="sam@bazaar.test",
)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.content, bytes)
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self.inbox

    def __exit__(self, *_: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Inbox]:
    with SmtpServer(smtp_port) as inbox:
        yield inbox


@pytest.fixture
async def app(service_settings: ServiceSettings, smtp_port: int) -> AsyncIterator[FastAPI]:
    settings = NotificationSettings(
        delivery="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from="Bazaar <orders@bazaar.test>",
        smtp_timeout_seconds=2,
        send_every_seconds=0.1,
        retry_base_seconds=0.2,
        retry_max_seconds=0.5,
    )
    application = build_app(service_settings, settings)
    async with application.router.lifespan_context(application):
        yield application


async def publish_confirmed(nats_server: NatsServer, order_id: str) -> None:
    data = {
        "order_id": order_id,
        "customer": {"subject": SAM.subject, "email": SAM.email},
        "lines": [{"sku": "COF-1", "name": "Coffee", "quantity": 1}],
        "total": {"amount": 990, "currency": "USD"},
    }
    async with FactPublisher.connected(nats_server.url, ["order"]) as facts:
        await facts.publish("order.confirmed.v1", subject=order_id, sequence=2, data=data)


async def my_messages(app: FastAPI) -> list[dict[str, Any]]:
    async with client_as(app, SAM) as client:
        reply = await client.get("/notification/1/messages")
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


async def delivered(app: FastAPI) -> dict[str, Any] | None:
    items = await my_messages(app)
    return items[0] if items and items[0]["delivery"] == "delivered" else None


async def test_a_stored_message_is_sent_once_through_the_smtp_server(
    smtp_server: Inbox, app: FastAPI, nats_server: NatsServer
) -> None:
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    await publish_confirmed(nats_server, order_id)
    message = await eventually(lambda: delivered(app))
    assert message["delivered_at"] is not None
    [email] = smtp_server.received
    assert (email["To"], email["From"]) == ("sam@bazaar.test", "Bazaar <orders@bazaar.test>")
    assert email["Subject"] == message["subject"]
    assert order_id in email.get_payload()
    await publish_confirmed(nats_server, f"o-{uuid.uuid4().hex[:8]}")  # the sender keeps going

    async def two_sent() -> bool:
        return len(smtp_server.received) == 2

    await eventually(two_sent)
    assert len({e["Message-ID"] for e in smtp_server.received}) == 2


async def test_a_server_that_is_down_gets_the_message_after_the_back_off(
    smtp_port: int, app: FastAPI, nats_server: NatsServer
) -> None:
    await publish_confirmed(nats_server, "o-late")
    runtime = app.state.runtime

    async def failed_attempts() -> int | None:
        async with runtime.reads() as store:
            _, found = await store.page(MessageQuery(recipient=SAM.subject, to=None), limit=1,
                                        offset=0)  # fmt: skip
        return found[0].attempts if found and found[0].attempts >= 2 else None

    attempts_while_down = await eventually(failed_attempts)
    assert (await my_messages(app))[0]["delivery"] == "pending"
    with SmtpServer(smtp_port) as inbox:
        message = await eventually(lambda: delivered(app))
        assert len(inbox.received) == 1
    assert "o-late" in message["subject"]
    async with runtime.reads() as store:
        _, [stored] = await store.page(MessageQuery(recipient=SAM.subject, to=None), limit=1,
                                       offset=0)  # fmt: skip
    assert stored.attempts > attempts_while_down
    assert stored.last_error == ""


@pytest.mark.each_database
async def test_three_senders_racing_over_the_same_messages_send_each_exactly_once(
    service_settings: ServiceSettings, smtp_server: Inbox, smtp_port: int
) -> None:
    application = build_app(service_settings, NotificationSettings(delivery="store"))
    mailer = SmtpMailer(host="127.0.0.1", port=smtp_port, from_address="orders@bazaar.test")
    async with application.router.lifespan_context(application):
        runtime = application.state.runtime
        for n in range(12):
            data = {"order_id": f"o-{n}", "customer": {"subject": SAM.subject,
                    "email": SAM.email}, "total": {"amount": 100, "currency": "USD"}}  # fmt: skip
            async with runtime.units() as work:
                await use_cases.record_notice(
                    store=work.store,
                    event_id=f"ev-{n}",
                    notice=TEMPLATES["order.confirmed"](data),
                    send=True,
                )

        async def sender() -> int:
            return await use_cases.deliver_due(
                units=runtime.units,
                mailer=mailer,
                retry=NotificationSettings().retry(),
                lease=timedelta(minutes=5),
                batch=100,
            )

        sent = await asyncio.gather(sender(), sender(), sender())
        assert sum(sent) == 12
        delivered_now = await my_messages(application)
    assert {m["delivery"] for m in delivered_now} == {"delivered"}
    assert len(smtp_server.received) == 12
    assert len({e["Message-ID"] for e in smtp_server.received}) == 12
