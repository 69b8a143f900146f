"""The hot reads answer with JSON serialized by hand (api/v1.py, `JsonBody`): this checks that
what they send is exactly what their documented models describe, field for field."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import nats
import pytest

from bazaar_catalog.api.v1 import CategoryList, CategoryPage
from bazaar_catalog.service import build_app
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, running_app
from bazaar_platform.nats_server import NatsServer

from .test_catalog_read_model import Producers


@pytest.fixture
async def catalog(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def test_the_category_list_and_page_send_exactly_their_documented_models(
    catalog: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    client = await nats.connect(nats_server.url)
    producers = Producers(client.jetstream())
    await producers.category("tea", "Tea", position=2)
    for n, sku in enumerate(("TEA-1", "TEA-2")):
        await producers.product(sku)
        await producers.place("tea", sku, n)
    await producers.price("TEA-1", 450, seq=1)  # TEA-2 stays without a price
    await producers.stock("TEA-1", 3, seq=1)
    await client.close()

    async def page() -> httpx.Response:
        return await catalog.get("/catalog/1/categories/tea/products", params={"limit": 5})

    async def complete() -> bool:
        items = (await page()).json().get("items", [])
        return len(items) == 2 and items[0]["price"] is not None and items[0]["available"] == 3

    await eventually(complete, message="the catalog never showed both teas")
    shown = (await page()).json()
    assert shown == CategoryPage.model_validate(shown).model_dump(mode="json")
    assert shown["items"][0] == {
        "sku": "TEA-1",
        "name": "Product TEA-1",
        "price": {"amount": 450, "currency": "USD"},
        "available": 3,
        "in_stock": True,
    }
    assert shown["items"][1]["price"] is None
    assert shown["items"][1]["in_stock"] is False
    listed = (await catalog.get("/catalog/1/categories")).json()
    assert listed == CategoryList.model_validate(listed).model_dump(mode="json")
    assert listed["items"] == [{"key": "tea", "name": "Tea", "parent": None, "position": 2}]
