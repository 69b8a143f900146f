"""Concurrent product writes, on SQLite and on PostgreSQL: only PostgreSQL lets writers race, so
only its run can catch a duplicate that slips past a check, or a unique violation that is a 500.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import running_app
from bazaar_product.service import build_app

PRODUCTS = "/product/1/products"
WRITERS = 12

pytestmark = pytest.mark.each_database


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def test_concurrent_creates_of_one_sku_make_one_product_and_conflicts_for_the_rest(
    client: httpx.AsyncClient,
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    replies = await asyncio.gather(
        *(client.post(PRODUCTS, json={"sku": sku, "name": f"Try {n}"}) for n in range(WRITERS))
    )
    assert Counter(r.status_code for r in replies) == {201: 1, 409: WRITERS - 1}
    created = next(r for r in replies if r.status_code == 201).json()
    assert (await client.get(f"{PRODUCTS}/{sku}")).json() == created


async def test_concurrent_patches_at_one_version_let_exactly_one_win(
    client: httpx.AsyncClient,
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    created = await client.post(PRODUCTS, json={"sku": sku, "name": "Original"})
    version = created.json()["version"]
    replies = await asyncio.gather(
        *(
            client.patch(f"{PRODUCTS}/{sku}", json={"version": version, "name": f"Name {n}"})
            for n in range(WRITERS)
        )
    )
    assert Counter(r.status_code for r in replies) == {200: 1, 409: WRITERS - 1}
    winner = next(r for r in replies if r.status_code == 200).json()
    assert (await client.get(f"{PRODUCTS}/{sku}")).json() == winner
