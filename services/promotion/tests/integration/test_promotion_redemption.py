"""Code usage from order events on real NATS, on SQLite and on PostgreSQL: a limited code is never
used more than its limit under concurrent orders (one instance or two sharing the durable), a
cancelled order gives its use back, and a redelivered or re-published order counts once.

The test plays the order service: it publishes `order.placed` / `order.cancelled` on the ORDER
stream as the design says, and watches what the promotion service publishes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext

from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import EventProbe, eventually, running_app
from bazaar_chassis.testing.producing import add_streams
from bazaar_platform.nats_server import NatsServer
from bazaar_promotion.service import build_app

CONCURRENT_ORDERS = 20


class OrderService:
    """Publishes the order events the promotion service consumes, as the order service would."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, event: Event, *, msg_id: str | None = None) -> None:
        headers = {"Nats-Msg-Id": msg_id or event.id}
        await self.js.publish(event.nats_subject, event.to_json(), headers=headers)

    @staticmethod
    def placed(order_id: str, codes: list[str]) -> Event:
        data = {
            "order_id": order_id,
            "cart_id": f"cart-{order_id}",
            "customer": {"subject": "ann", "email": "ann@x.test"},
            "lines": [],
            "total": {"amount": 1000, "currency": "USD"},
            "codes": codes,
            "payment_method_id": "pm-1",
            "placed_at": datetime.now(UTC).isoformat(),
        }
        return Event(
            type="order.placed.v1", subject=order_id, sequence=1, data=data, source="/order/1"
        )

    @staticmethod
    def cancelled(order_id: str) -> Event:
        data = {"order_id": order_id, "reason": "payment declined: test", "lines": []}
        return Event(
            type="order.cancelled.v1", subject=order_id, sequence=2, data=data, source="/order/1"
        )


@pytest.fixture
async def orders(nats_server: NatsServer) -> AsyncIterator[OrderService]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "order")
    yield OrderService(js)
    await client.close()


@pytest.fixture
def settings(service_settings: ServiceSettings, database_url: str) -> ServiceSettings:
    return service_settings.model_copy(update={"database_url": database_url})


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(settings)) as client:
        yield client


async def a_code(client: httpx.AsyncClient, *, limit: int) -> str:
    promotion = await client.post(
        "/promotion/1/promotions",
        json={"name": "Welcome", "kind": "percentage", "value": 10, "requires_code": True},
    )
    assert promotion.status_code == 201, promotion.text
    code = f"C{uuid.uuid4().hex[:8].upper()}"
    added = await client.post(
        f"/promotion/1/promotions/{promotion.json()['id']}/codes",
        json={"code": code, "usage_limit": limit},
    )
    assert added.status_code == 201, added.text
    return code


async def uses(client: httpx.AsyncClient, code: str) -> int:
    reply = await client.get(f"/promotion/1/codes/{code}")
    assert reply.status_code == 200, reply.text
    return int(reply.json()["uses"])


def decided(probe: EventProbe, code: str) -> tuple[list[Event], list[Event]]:
    """The code_redeemed and code_refused events published for `code` so far."""
    redeemed = [e for e in probe.matching("promotion.code_redeemed") if e.data["code"] == code]
    refused = [e for e in probe.matching("promotion.code_refused") if e.data["code"] == code]
    return redeemed, refused


async def all_decided(probe: EventProbe, code: str, count: int) -> tuple[list[Event], list[Event]]:
    async def done() -> tuple[list[Event], list[Event]] | None:
        redeemed, refused = decided(probe, code)
        return (redeemed, refused) if len(redeemed) + len(refused) >= count else None

    return await eventually(done, timeout=30, message=f"not all {count} orders of {code} decided")


async def flushed(orders: OrderService, probe: EventProbe) -> None:
    """Wait until every order event published before this one has been applied (one stream,
    applied in order): a marker order with an unknown code must be refused."""
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    await orders.publish(orders.placed(marker, ["NO-SUCH-CODE"]))
    await probe.expect("promotion.code_refused", subject=marker, timeout=30)


async def fire_concurrent_orders(orders: OrderService, code: str) -> list[str]:
    ids = [f"order-{uuid.uuid4().hex[:8]}" for _ in range(CONCURRENT_ORDERS)]
    await asyncio.gather(*(orders.publish(orders.placed(i, [code.lower()])) for i in ids))
    return ids


async def test_a_code_limited_to_3_uses_is_redeemed_exactly_3_times_by_20_concurrent_orders(
    client: httpx.AsyncClient, orders: OrderService, event_probe: EventProbe
) -> None:
    code = await a_code(client, limit=3)
    ids = await fire_concurrent_orders(orders, code)
    redeemed, refused = await all_decided(event_probe, code, CONCURRENT_ORDERS)
    assert (len(redeemed), len(refused)) == (3, 17)
    assert {e.data["order_id"] for e in redeemed + refused} == set(ids)
    assert {e.data["reason"] for e in refused} == {"usage limit reached (3 uses)"}
    assert await uses(client, code) == 3
    changes = event_probe.matching("promotion.code_changed", subject=code)
    assert sorted((e.sequence, e.data["uses"]) for e in changes) == [(1, 0), (2, 1), (3, 2), (4, 3)]


async def test_two_instances_on_the_shared_durable_still_redeem_exactly_3_of_20(
    settings: ServiceSettings, orders: OrderService, event_probe: EventProbe
) -> None:
    async with AsyncExitStack() as stack:
        apps: list[FastAPI] = []
        clients: list[httpx.AsyncClient] = []
        for n in (1, 2):
            app = build_app(settings.model_copy(update={"instance_id": f"promotion-{n}"}))
            clients.append(await stack.enter_async_context(running_app(app)))
            apps.append(app)

        async def both_bound() -> bool:
            return all("order" in app.state.runtime.consumer.bound for app in apps)

        await eventually(both_bound, message="both instances should bind the ORDER durable")
        code = await a_code(clients[0], limit=3)
        await fire_concurrent_orders(orders, code)
        redeemed, refused = await all_decided(event_probe, code, CONCURRENT_ORDERS)
        assert (len(redeemed), len(refused)) == (3, 17)
        assert await uses(clients[1], code) == 3


async def test_a_cancelled_order_frees_its_use_once(
    client: httpx.AsyncClient, orders: OrderService, event_probe: EventProbe
) -> None:
    code = await a_code(client, limit=1)
    await orders.publish(orders.placed("o-first", [code]))
    await event_probe.expect("promotion.code_redeemed", subject="o-first")
    await orders.publish(orders.placed("o-second", [code]))
    refused = await event_probe.expect("promotion.code_refused", subject="o-second")
    assert refused.data["reason"] == "usage limit reached (1 uses)"

    cancel = orders.cancelled("o-first")
    await orders.publish(cancel)
    await orders.publish(cancel, msg_id=f"again-{cancel.id}")  # redelivered: same event id
    await orders.publish(orders.cancelled("o-first"))  # cancelled twice: another event
    await flushed(orders, event_probe)
    changes = event_probe.matching("promotion.code_changed", subject=code)
    assert [e.data["uses"] for e in sorted(changes, key=lambda e: e.sequence)] == [0, 1, 0]
    assert await uses(client, code) == 0

    await orders.publish(orders.placed("o-third", [code]))
    await event_probe.expect("promotion.code_redeemed", subject="o-third")
    assert await uses(client, code) == 1


async def test_a_redelivered_or_republished_order_placed_counts_once(
    client: httpx.AsyncClient, orders: OrderService, event_probe: EventProbe
) -> None:
    code = await a_code(client, limit=5)
    placed = orders.placed("o-dup", [code, code.lower()])
    await orders.publish(placed)
    await orders.publish(placed, msg_id=f"again-{placed.id}")  # the same event, stored twice
    await orders.publish(orders.placed("o-dup", [code]))  # the order re-announced: new event id
    await flushed(orders, event_probe)
    redeemed, refused = decided(event_probe, code)
    assert ([e.subject for e in redeemed], refused) == (["o-dup"], [])
    assert await uses(client, code) == 1


async def test_an_order_without_codes_changes_nothing_and_extra_fields_are_ignored(
    client: httpx.AsyncClient, orders: OrderService, event_probe: EventProbe
) -> None:
    code = await a_code(client, limit=2)
    richer: dict[str, Any] = {**orders.placed("o-rich", [code]).data, "gift_wrap": True}
    del richer["placed_at"]  # optional: the event's own time is used instead
    await orders.publish(orders.placed("o-plain", []))
    await orders.publish(
        Event(type="order.placed.v1", subject="o-rich", sequence=1, data=richer, source="/o/1")
    )
    await event_probe.expect("promotion.code_redeemed", subject="o-rich")
    assert event_probe.matching("promotion.code_redeemed", subject="o-plain") == []
    assert event_probe.matching("promotion.code_refused", subject="o-plain") == []
    assert await uses(client, code) == 1


async def test_a_cancellation_that_overtakes_its_placement_leaves_the_code_unused(
    client: httpx.AsyncClient, orders: OrderService, event_probe: EventProbe
) -> None:
    code = await a_code(client, limit=1)
    await orders.publish(orders.cancelled("o-late"))
    await orders.publish(orders.placed("o-late", [code]))
    refused = await event_probe.expect("promotion.code_refused", subject="o-late")
    assert refused.data["reason"] == "the order was cancelled"
    assert await uses(client, code) == 0
    await orders.publish(orders.placed("o-next", [code]))
    await event_probe.expect("promotion.code_redeemed", subject="o-next")
