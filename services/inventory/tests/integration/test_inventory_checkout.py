"""Inventory's part of the checkout on real NATS and a real database: order events published
the way the order service publishes them; inventory's answers watched on the bus.

The oversell tests place 50 orders for a SKU with 10 in stock at once, with one instance and
with two instances bound to the same durable consumer (one SQLite file, or one PostgreSQL
database): exactly 10 are reserved, and stock never goes below zero.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import EventProbe, add_streams, eventually, publish, running_app
from bazaar_inventory.service import build_app
from bazaar_platform.nats_server import NatsServer

V1 = "/inventory/1"


class Orders:
    """Publishes order events as the order service does (stream ORDER)."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, name: str, order_id: str, data: dict[str, Any]) -> None:
        data = {"order_id": order_id, **data}
        await publish(self.js, f"order.{name}.v1", subject=order_id, data=data)

    async def placed(self, order_id: str, *lines: tuple[str, int]) -> None:
        await self.publish(
            "placed", order_id, {"lines": [{"sku": s, "quantity": q, "name": s} for s, q in lines]}
        )


@pytest.fixture
async def orders(nats_server: NatsServer) -> AsyncIterator[Orders]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "order")
    yield Orders(js)
    await client.close()


@pytest.fixture
async def inventory(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


def a_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


def an_order() -> str:
    return f"order-{uuid.uuid4().hex[:8]}"


async def put_stock(client: httpx.AsyncClient, sku: str, quantity: int) -> None:
    reply = await client.put(f"{V1}/stock/{sku}", json={"quantity": quantity})
    assert reply.status_code == 200, reply.text


async def stock(client: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    reply = await client.get(f"{V1}/stock/{sku}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_a_placed_order_is_held_then_taken_off_the_shelf_when_confirmed(
    inventory: httpx.AsyncClient, orders: Orders, event_probe: EventProbe
) -> None:
    coffee, tea, order_id = a_sku(), a_sku(), an_order()
    await put_stock(inventory, coffee, 10)
    await put_stock(inventory, tea, 4)
    await orders.placed(order_id, (coffee, 3), (tea, 4))
    reserved = await event_probe.expect("inventory.stock_reserved", subject=order_id)
    assert sorted((line["sku"], line["quantity"]) for line in reserved.data["lines"]) == sorted(
        [(coffee, 3), (tea, 4)]
    )
    assert (await stock(inventory, coffee))["available"] == 7

    await orders.publish("confirmed", order_id, {"lines": [], "total": {}})

    async def taken() -> bool:
        level = await stock(inventory, coffee)
        return (level["on_hand"], level["reserved"]) == (7, 0)

    await eventually(taken, message="confirmed order's stock taken off the shelf")
    await event_probe.expect(
        "inventory.stock_changed", subject=tea, where=lambda e: e.data["on_hand"] == 0
    )


async def test_a_cancelled_order_gives_its_stock_back_and_a_repeat_holds_nothing(
    inventory: httpx.AsyncClient, orders: Orders, event_probe: EventProbe
) -> None:
    sku, order_id = a_sku(), an_order()
    await put_stock(inventory, sku, 5)
    await orders.placed(order_id, (sku, 2))
    await event_probe.expect("inventory.stock_reserved", subject=order_id)
    await orders.placed(order_id, (sku, 2))  # the same order again (a new event id)
    await orders.publish("cancelled", order_id, {"reason": "payment declined: no"})

    async def released() -> bool:
        level = await stock(inventory, sku)
        return (level["on_hand"], level["reserved"], level["available"]) == (5, 0, 5)

    await eventually(released, message="cancelled order's stock given back")
    assert len(event_probe.matching("inventory.stock_reserved", subject=order_id)) == 1
    assert event_probe.matching("inventory.reservation_failed") == []


async def test_an_order_one_line_short_holds_nothing_and_says_which_line(
    inventory: httpx.AsyncClient, orders: Orders, event_probe: EventProbe
) -> None:
    plenty, scarce, order_id = a_sku(), a_sku(), an_order()
    await put_stock(inventory, plenty, 10)
    await put_stock(inventory, scarce, 1)
    await orders.placed(order_id, (plenty, 2), (scarce, 3))
    failed = await event_probe.expect("inventory.reservation_failed", subject=order_id)
    assert failed.data == {"order_id": order_id, "sku": scarce, "requested": 3, "available": 1}
    assert (await stock(inventory, plenty))["available"] == 10


async def _oversell(clients: list[httpx.AsyncClient], orders: Orders, probe: EventProbe) -> None:
    sku = a_sku()
    await put_stock(clients[0], sku, 10)
    placed = [an_order() for _ in range(50)]
    await asyncio.gather(*(orders.placed(order_id, (sku, 1)) for order_id in placed))

    def answered() -> list[Event]:
        return [
            e
            for e in probe.events
            if e.name in ("inventory.stock_reserved", "inventory.reservation_failed")
        ]

    async def all_answered() -> bool:
        return len(answered()) >= 50

    await eventually(all_answered, timeout=60, message="every order answered")
    reserved = {e.subject for e in answered() if e.name == "inventory.stock_reserved"}
    failed = {e.subject for e in answered() if e.name == "inventory.reservation_failed"}
    assert (len(reserved), len(failed), reserved | failed) == (10, 40, set(placed))
    level = await stock(clients[-1], sku)
    assert (level["on_hand"], level["reserved"], level["available"]) == (10, 10, 0)
    changes = probe.matching("inventory.stock_changed", subject=sku)
    assert min(e.data["available"] for e in changes) == 0


async def test_fifty_orders_for_ten_in_stock_reserve_exactly_ten(
    service_settings: ServiceSettings, database_url: str, orders: Orders, event_probe: EventProbe
) -> None:
    settings = service_settings.model_copy(update={"database_url": database_url})
    async with running_app(build_app(settings)) as client:
        await _oversell([client], orders, event_probe)


async def test_two_instances_on_one_durable_reserve_exactly_ten_of_fifty(
    service_settings: ServiceSettings, database_url: str, orders: Orders, event_probe: EventProbe
) -> None:
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                running_app(
                    build_app(
                        service_settings.model_copy(
                            update={"database_url": database_url, "instance_id": f"i{n}"}
                        )
                    )
                )
            )
            for n in (1, 2)
        ]
        await _oversell(clients, orders, event_probe)
