"""The notification service on a real NATS server and a real database: the order's facts are
published here as the order service publishes them, and the messages are read through the API
(the idempotency tests run on SQLite and again on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.testing import FactPublisher, assert_problem, client_as, eventually
from bazaar_notification import use_cases
from bazaar_notification.service import build_app
from bazaar_notification.settings import NotificationSettings
from bazaar_notification.templates import TEMPLATES
from bazaar_platform.nats_server import NatsServer

MESSAGES = "/notification/1/messages"
OPERATOR = Caller(subject="u-op", kind="user", organization="bazaar", roles=("operator",))


def shopper(name: str) -> Caller:
    return Caller(
        subject=f"u-{name}-{uuid.uuid4().hex[:6]}",
        kind="user",
        organization="public",
        roles=("customer",),
        email=f"{name}-{uuid.uuid4().hex[:6]}@bazaar.test",
    )


def order_data(caller: Caller, order_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": {"subject": caller.subject, "email": caller.email},
        "lines": [{"sku": "COF-1", "name": "Coffee", "quantity": 1}],
        "total": {"amount": 990, "currency": "USD"},
        **extra,
    }


class Orders:
    """Publishes facts as the order service does."""

    def __init__(self, facts: FactPublisher) -> None:
        self.facts = facts

    async def publish(self, name: str, data: dict[str, Any], *, sequence: int = 2) -> Event:
        return await self.facts.publish(
            f"order.{name}.v1", subject=data["order_id"], sequence=sequence, data=data
        )


@pytest.fixture
async def orders(nats_server: NatsServer) -> AsyncIterator[Orders]:
    async with FactPublisher.connected(nats_server.url, ["order"]) as facts:
        yield Orders(facts)


@pytest.fixture
async def app(service_settings: ServiceSettings) -> AsyncIterator[FastAPI]:
    application = build_app(service_settings, NotificationSettings(delivery="store"))
    async with application.router.lifespan_context(application):
        yield application


async def messages_of(client: httpx.AsyncClient, count: int, **params: str) -> list[dict[str, Any]]:
    """Wait until the caller sees `count` messages; fail after the deadline."""

    async def arrived() -> list[dict[str, Any]] | None:
        reply = await client.get(MESSAGES, params=params)
        assert reply.status_code == 200, reply.text
        items: list[dict[str, Any]] = reply.json()["items"]
        return items if len(items) >= count else None

    return await eventually(arrived)


@pytest.mark.each_database
async def test_a_confirmation_and_a_cancellation_reach_their_recipient_newest_first(
    app: FastAPI, orders: Orders
) -> None:
    sam = shopper("sam")
    await orders.publish("confirmed", order_data(sam, "o-1"))
    await orders.publish(
        "cancelled", order_data(sam, "o-2", reason="payment declined: card declined")
    )
    async with client_as(app, sam) as client:
        items = await messages_of(client, 2)
    assert [m["kind"] for m in items] == ["order_cancelled", "order_confirmed"]
    assert {m["to"] for m in items} == {sam.email}
    assert "payment declined: card declined" in items[0]["body"]
    assert "o-1" in items[1]["subject"]
    assert {"to", "subject", "body", "sent_at"} <= set(items[0])
    assert {m["delivery"] for m in items} == {"stored"}


@pytest.mark.each_database
async def test_an_event_delivered_again_or_recorded_concurrently_makes_one_message(
    app: FastAPI, orders: Orders
) -> None:
    sam = shopper("sam")
    event = await orders.publish("confirmed", order_data(sam, "o-1"))
    await orders.facts.redeliver(event)
    await orders.publish("confirmed", order_data(sam, "o-2"))  # a later fact, to wait on
    async with client_as(app, sam) as client:
        await messages_of(client, 2)
        runtime = app.state.runtime
        notice = TEMPLATES["order.confirmed"](order_data(sam, "o-3"))

        async def record() -> bool:
            async with runtime.units() as work:
                return await use_cases.record_notice(
                    store=work.store, event_id="ev-raced", notice=notice, send=False
                )

        written = await asyncio.gather(*(record() for _ in range(5)))
        assert sorted(written) == [False, False, False, False, True]
        items = (await client.get(MESSAGES)).json()["items"]
    assert sorted(m["order_id"] for m in items) == ["o-1", "o-2", "o-3"]


async def test_nobody_reads_another_customers_messages_but_an_operator_may(
    app: FastAPI, orders: Orders
) -> None:
    sam, sasha = shopper("sam"), shopper("sasha")
    await orders.publish("confirmed", order_data(sam, "o-1"))
    async with client_as(app, OPERATOR) as operator:
        [found] = await messages_of(operator, 1, to=str(sam.email))
        assert found["order_id"] == "o-1"
    async with client_as(app, sasha) as client:
        assert (await client.get(MESSAGES)).json()["items"] == []
        assert_problem(
            await client.get(MESSAGES, params={"to": sam.email}), 403, "your own messages"
        )
        assert_problem(await client.get(MESSAGES, params={"limit": 0}), 422, "limit")


@pytest.mark.each_database
async def test_an_address_holding_a_nul_character_is_refused_naming_to(app: FastAPI) -> None:
    async with client_as(app, OPERATOR) as operator:  # PostgreSQL text cannot hold U+0000
        reply = await operator.get(MESSAGES, params={"to": "sam\u0000@bazaar.test"})
        assert_problem(reply, 422, "query.to: Value error, must not contain the NUL character")
