"""Inventory's part of a product recall on real NATS and a real database: `product.recalled`
published as the product service publishes it (with the recall request's trace context);
inventory's quarantine watched through its API and on the bus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import EventProbe, add_streams, eventually, running_app
from bazaar_inventory.service import build_app
from bazaar_platform.nats_server import NatsServer

V1 = "/inventory/1"
TRACE = "0af7651916cd43dd8448eb211c80319c"


async def recall(js: JetStreamContext, sku: str, reason: str) -> Event:
    """product.recalled.v1 as the product service's outbox relay publishes it."""
    event = Event(
        type="product.recalled.v1",
        subject=sku,
        sequence=2,
        data={
            "sku": sku,
            "name": sku,
            "description": "",
            "attributes": {},
            "status": "recalled",
            "reason": reason,
        },
        source="/product/test",
        traceparent=f"00-{TRACE}-b7ad6b7169203331-01",
    )
    await js.publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id})
    return event


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    stream = client.jetstream()
    await add_streams(stream, "product")
    yield stream
    await client.close()


@pytest.fixture
async def inventory(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def stock(client: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    reply = await client.get(f"{V1}/stock/{sku}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


@pytest.mark.usefixtures("database_url")
async def test_a_recall_quarantines_stock_releases_reservations_and_continues_the_trace(
    inventory: httpx.AsyncClient, js: JetStreamContext, event_probe: EventProbe
) -> None:
    sku = f"REC-{uuid.uuid4().hex[:8]}"
    assert (await inventory.put(f"{V1}/stock/{sku}", json={"quantity": 8})).status_code == 200
    held = await inventory.post(
        f"{V1}/reservations", json={"sku": sku, "quantity": 3, "reference": "cart-9"}
    )
    assert held.status_code == 201, held.text

    await recall(js, sku, "battery may overheat")

    quarantined = await event_probe.expect("inventory.stock_quarantined", subject=sku)
    assert quarantined.data["released"] == [
        {"id": held.json()["id"], "reference": "cart-9", "quantity": 3}
    ]
    assert quarantined.traceparent is not None
    assert quarantined.traceparent.split("-")[1] == TRACE
    level = await stock(inventory, sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (8, 0, 0)
    assert level["quarantine"] == "battery may overheat"
    refused = await inventory.post(
        f"{V1}/reservations", json={"sku": sku, "quantity": 1, "reference": "cart-10"}
    )
    assert refused.status_code == 409
    assert "quarantined" in refused.json()["detail"]


async def test_a_duplicate_recall_quarantines_once(
    inventory: httpx.AsyncClient, js: JetStreamContext, event_probe: EventProbe
) -> None:
    sku = f"REC-{uuid.uuid4().hex[:8]}"
    assert (await inventory.put(f"{V1}/stock/{sku}", json={"quantity": 2})).status_code == 200
    await recall(js, sku, "first")
    await event_probe.expect("inventory.stock_quarantined", subject=sku)
    before = await stock(inventory, sku)

    await recall(js, sku, "again")  # a second recall fact (another event id)
    await recall(js, f"OTHER-{uuid.uuid4().hex[:6]}", "a later recall, to know the first is done")
    await event_probe.expect("inventory.stock_quarantined", where=lambda e: e.subject != sku)

    assert await stock(inventory, sku) == before
    assert len(event_probe.matching("inventory.stock_quarantined", subject=sku)) == 1

    async def still_first_reason() -> bool:
        return bool((await stock(inventory, sku))["quarantine"] == "first")

    await eventually(still_first_reason, message="the first recall's reason stays")
