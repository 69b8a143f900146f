"""Recall notices on a real NATS server and a real database: the order's confirmations tell the
service who bought what, a recall published as the product service publishes it reaches exactly
those buyers, once, and `notification.recall_notices_sent` names them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bazaar_chassis import Caller, ServiceSettings
from bazaar_chassis.testing import EventProbe, FactPublisher, client_as, eventually
from bazaar_notification.service import build_app
from bazaar_notification.settings import NotificationSettings
from bazaar_platform.nats_server import NatsServer

MESSAGES = "/notification/1/messages"


def shopper(name: str) -> Caller:
    tag = uuid.uuid4().hex[:6]
    return Caller(
        subject=f"u-{name}-{tag}",
        kind="user",
        organization="public",
        roles=("customer",),
        email=f"{name}-{tag}@bazaar.test",
    )


def confirmed(caller: Caller, order_id: str, sku: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": {"subject": caller.subject, "email": caller.email},
        "lines": [{"sku": sku, "name": "Kettle", "quantity": 1}],
        "total": {"amount": 990, "currency": "USD"},
    }


def recalled(sku: str, reason: str) -> dict[str, Any]:
    return {"sku": sku, "name": "Kettle", "status": "recalled", "reason": reason}


@pytest.fixture
async def facts(nats_server: NatsServer) -> AsyncIterator[FactPublisher]:
    async with FactPublisher.connected(nats_server.url, ["order", "product"]) as publisher:
        yield publisher


@pytest.fixture
async def app(service_settings: ServiceSettings) -> AsyncIterator[FastAPI]:
    application = build_app(service_settings, NotificationSettings(delivery="store"))
    async with application.router.lifespan_context(application):
        yield application


async def kinds(app: FastAPI, caller: Caller) -> list[str]:
    async with client_as(app, caller) as client:
        reply: httpx.Response = await client.get(MESSAGES)
    assert reply.status_code == 200, reply.text
    return sorted(m["kind"] for m in reply.json()["items"])


@pytest.mark.each_database
async def test_a_recall_reaches_every_buyer_once_and_nobody_else(
    app: FastAPI, facts: FactPublisher, event_probe: EventProbe
) -> None:
    ann, bob, cat = shopper("ann"), shopper("bob"), shopper("cat")
    sku = f"KET-{uuid.uuid4().hex[:6]}"
    await facts.publish("order.confirmed.v1", subject="o-1", sequence=3,
                        data=confirmed(ann, "o-1", sku))  # fmt: skip
    await facts.publish("order.confirmed.v1", subject="o-2", sequence=3,
                        data=confirmed(bob, "o-2", sku))  # fmt: skip
    await facts.publish("order.confirmed.v1", subject="o-3", sequence=3,
                        data=confirmed(cat, "o-3", "OTHER-1"))  # fmt: skip

    async def all_confirmed() -> bool:
        return all([await kinds(app, c) == ["order_confirmed"] for c in (ann, bob, cat)])

    await eventually(all_confirmed, message="the confirmations arrive first")
    await facts.publish("product.recalled.v1", subject=sku, sequence=2,
                        data=recalled(sku, "may overheat"))  # fmt: skip

    sent = await event_probe.expect("notification.recall_notices_sent", subject=sku)
    assert sorted(sent.data["recipients"]) == sorted([ann.subject, bob.subject])
    assert await kinds(app, ann) == ["order_confirmed", "product_recalled"]
    assert await kinds(app, bob) == ["order_confirmed", "product_recalled"]
    assert await kinds(app, cat) == ["order_confirmed"]

    await facts.publish("product.recalled.v1", subject=sku, sequence=3,
                        data=recalled(sku, "again"))  # fmt: skip
    other = f"KET-{uuid.uuid4().hex[:6]}"
    await facts.publish("product.recalled.v1", subject=other, sequence=2,
                        data=recalled(other, "later"))  # fmt: skip
    await event_probe.expect("notification.recall_notices_sent", subject=other)
    assert len(event_probe.matching("notification.recall_notices_sent", subject=sku)) == 1
    assert await kinds(app, ann) == ["order_confirmed", "product_recalled"]
