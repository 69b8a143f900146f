"""Reservations against a real SQLite file and NATS: no overselling, release, expiry.

The concurrency tests fire many requests at once through the ASGI client; with two app
instances on one SQLite file they also exercise the cross-connection file lock, as two
processes of the service (or two versions of it) sharing a database would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, eventually, running_app
from bazaar_inventory.service import build_app

pytestmark = pytest.mark.each_database

V1 = "/inventory/1"
WRITERS = 12  # concurrent stock writers in the race tests


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


@pytest.fixture
async def two_instances(
    service_settings: ServiceSettings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two instances of the service sharing one data dir, hence one SQLite file."""
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                running_app(build_app(service_settings.model_copy(update={"instance_id": f"i{n}"})))
            )
            for n in (1, 2)
        ]
        yield clients[0], clients[1]


def a_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


async def stock(client: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    reply = await client.get(f"{V1}/stock/{sku}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def put_stock(client: httpx.AsyncClient, sku: str, quantity: int) -> None:
    reply = await client.put(f"{V1}/stock/{sku}", json={"quantity": quantity})
    assert reply.status_code == 200, reply.text


async def reserve(
    client: httpx.AsyncClient, sku: str, quantity: int = 1, **fields: object
) -> httpx.Response:
    body = {"sku": sku, "quantity": quantity, "reference": f"cart-{uuid.uuid4().hex[:6]}"}
    return await client.post(f"{V1}/reservations", json={**body, **fields})


def assert_exactly_twenty_of_fifty_won(replies: list[httpx.Response]) -> None:
    assert Counter(r.status_code for r in replies) == {201: 20, 409: 30}
    assert len({r.json()["id"] for r in replies if r.status_code == 201}) == 20
    for refused in (r for r in replies if r.status_code == 409):
        assert refused.headers["content-type"] == "application/problem+json"
        assert "only 0 available" in refused.json()["detail"]


async def test_a_reservation_holds_units_until_it_is_released(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 10)
    made = await reserve(client, sku, 4, reference="cart-42", ttl_seconds=600)
    assert made.status_code == 201
    reservation = made.json()
    assert {k: reservation[k] for k in ("sku", "location", "quantity", "reference", "status")} == {
        "sku": sku,
        "location": "default",
        "quantity": 4,
        "reference": "cart-42",
        "status": "active",
    }
    assert (await stock(client, sku))["available"] == 6
    read = await client.get(f"{V1}/reservations/{reservation['id']}")
    assert read.json() == reservation

    released = await client.delete(f"{V1}/reservations/{reservation['id']}")
    assert released.status_code == 200
    assert released.json() == {**reservation, "status": "released"}
    assert await stock(client, sku) == {
        "sku": sku,
        "on_hand": 10,
        "reserved": 0,
        "available": 10,
        "version": 3,
        "quarantine": None,
    }
    event = await event_probe.expect(
        "inventory.stock_changed", subject=sku, where=lambda e: e.sequence == 3
    )
    assert (event.data["reserved"], event.data["available"]) == (0, 10)

    twice = await client.delete(f"{V1}/reservations/{reservation['id']}")
    assert_problem(twice, 409, "already released")


async def test_fifty_concurrent_reservations_of_twenty_units_never_oversell(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 20)
    replies = await asyncio.gather(*(reserve(client, sku) for _ in range(50)))
    assert_exactly_twenty_of_fifty_won(replies)
    after = await stock(client, sku)
    assert (after["on_hand"], after["reserved"], after["available"]) == (20, 20, 0)
    assert after["version"] == 21  # one stock set + twenty reservations; refusals change nothing


async def test_two_instances_sharing_one_database_never_oversell_either(
    two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = two_instances
    sku = a_sku()
    await put_stock(first, sku, 20)
    replies = await asyncio.gather(*(reserve(first if n % 2 else second, sku) for n in range(50)))
    assert_exactly_twenty_of_fifty_won(replies)
    for client in two_instances:
        after = await stock(client, sku)
        assert (after["reserved"], after["available"], after["version"]) == (20, 0, 21)


async def test_concurrent_releases_and_reservations_keep_the_books_balanced(
    two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = two_instances
    sku = a_sku()
    await put_stock(first, sku, 15)
    held = [(await reserve(first, sku)).json()["id"] for _ in range(10)]
    releases = [
        (first if n % 2 else second).delete(f"{V1}/reservations/{rid}")
        for n, rid in enumerate(held)
    ]
    double_releases = [second.delete(f"{V1}/reservations/{rid}") for rid in held]
    new_holds = [reserve(first, sku) for _ in range(5)]  # 5 were free all along
    replies = await asyncio.gather(*releases, *double_releases, *new_holds)
    # each reservation is released exactly once, whichever instance got there first
    assert Counter(r.status_code for r in replies[:20]) == {200: 10, 409: 10}
    assert [r.status_code for r in replies[20:]] == [201] * 5
    after = await stock(second, sku)
    assert (after["reserved"], after["available"]) == (5, 10)


async def test_a_reservation_past_its_ttl_expires_and_its_units_come_back(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 3)
    made = await reserve(client, sku, 3, ttl_seconds=1)
    assert made.status_code == 201
    assert (await stock(client, sku))["available"] == 0
    assert (await reserve(client, sku)).status_code == 409

    async def expired() -> bool:
        reply = await client.get(f"{V1}/reservations/{made.json()['id']}")
        return bool(reply.json()["status"] == "expired")

    await eventually(expired, timeout=10, message="reservation did not expire")
    assert await stock(client, sku) == {
        "sku": sku,
        "on_hand": 3,
        "reserved": 0,
        "available": 3,
        "version": 3,
        "quarantine": None,
    }
    event = await event_probe.expect(
        "inventory.stock_changed", subject=sku, where=lambda e: e.sequence == 3
    )
    assert event.data["available"] == 3
    late = await client.delete(f"{V1}/reservations/{made.json()['id']}")
    assert late.status_code == 409
    assert "already expired" in late.json()["detail"]


async def test_expiry_running_in_two_instances_expires_each_reservation_once(
    two_instances: tuple[httpx.AsyncClient, httpx.AsyncClient], event_probe: EventProbe
) -> None:
    first, second = two_instances
    sku = a_sku()
    await put_stock(first, sku, 10)
    ids = [(await reserve(first, sku, 2, ttl_seconds=1)).json()["id"] for _ in range(5)]

    async def all_back() -> bool:
        after = await stock(second, sku)
        return bool(after["available"] == 10)

    await eventually(all_back, timeout=10, message="units did not come back")
    statuses = [(await second.get(f"{V1}/reservations/{rid}")).json()["status"] for rid in ids]
    assert statuses == ["expired"] * 5
    # 1 stock set + 5 reservations + 5 expiries: no expiry was applied twice
    assert (await stock(first, sku))["version"] == 11

    async def every_change_announced_once() -> bool:
        # two relays may both publish a row; JetStream drops the copy, a plain subscriber not
        events = event_probe.matching("inventory.stock_changed", subject=sku)
        assert sorted({e.id: e.sequence for e in events}.values()) == list(range(1, 12))
        return True

    await eventually(every_change_announced_once, message="not every change was announced")


async def test_concurrent_stock_sets_of_a_new_sku_all_succeed_one_after_another(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    replies = await asyncio.gather(
        *(client.put(f"{V1}/stock/{sku}", json={"quantity": 10 + n}) for n in range(WRITERS))
    )
    assert Counter(r.status_code for r in replies) == {200: WRITERS}, [r.text for r in replies]
    assert sorted(r.json()["version"] for r in replies) == list(range(1, WRITERS + 1))
    last = max(replies, key=lambda r: r.json()["version"]).json()
    assert (await client.get(f"{V1}/stock/{sku}")).json() == last


async def test_concurrent_conditional_stock_sets_let_exactly_one_writer_win(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    first = await client.put(f"{V1}/stock/{sku}", json={"quantity": 5})
    assert first.json()["version"] == 1
    replies = await asyncio.gather(
        *(
            client.put(f"{V1}/stock/{sku}", json={"quantity": 10 + n, "version": 1})
            for n in range(WRITERS)
        )
    )
    assert Counter(r.status_code for r in replies) == {200: 1, 409: WRITERS - 1}
    winner = next(r for r in replies if r.status_code == 200).json()
    assert (await client.get(f"{V1}/stock/{sku}")).json() == winner
