"""What API v1 reports as available is what a v1 reservation can hold, however v2 has spread the
stock over locations: a v1 client that sees N available can reserve N, and N + 1 is a 409."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import assert_problem, running_app
from bazaar_inventory.service import build_app

V1 = "/inventory/1"
V2 = "/inventory/2"


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def v1_available(client: httpx.AsyncClient, sku: str) -> int:
    single = (await client.get(f"{V1}/stock/{sku}")).json()
    batch = (await client.get(f"{V1}/stock", params={"skus": sku})).json()["items"]
    assert batch == [single]
    available: int = single["available"]
    return available


async def reserve(client: httpx.AsyncClient, sku: str, quantity: int) -> httpx.Response:
    return await client.post(
        f"{V1}/reservations",
        json={"sku": sku, "quantity": quantity, "reference": f"cart-{uuid.uuid4().hex[:6]}"},
    )


async def locations(client: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    levels = (await client.get(f"{V2}/stock/{sku}")).json()["locations"]
    return {level["location"]: level["available"] for level in levels}


@pytest.mark.each_database
async def test_v1_available_is_always_exactly_what_one_v1_reservation_can_hold(
    client: httpx.AsyncClient,
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    await client.put(f"{V1}/stock/{sku}", json={"quantity": 2})
    for location, quantity in (("berlin", 5), ("paris", 3)):
        await client.put(f"{V2}/stock/{sku}/locations/{location}", json={"quantity": quantity})
    assert (await client.get(f"{V1}/stock/{sku}")).json()["on_hand"] == 10

    seen = []
    while (available := await v1_available(client, sku)) > 0:
        seen.append(available)
        too_many = await reserve(client, sku, available + 1)
        assert_problem(too_many, 409, f"cannot reserve {available + 1}")
        assert (await reserve(client, sku, available)).status_code == 201
    assert seen == [5, 3, 2]  # one location emptied by each reservation, largest first
    assert await locations(client, sku) == {"berlin": 0, "default": 0, "paris": 0}
    assert_problem(await reserve(client, sku, 1), 409, "only 0 available")
