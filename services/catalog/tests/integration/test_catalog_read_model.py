"""The catalog builds its pages from facts on a real NATS server, into a real database (the
store tests run on SQLite and again on PostgreSQL).

Facts are published here the way the producers publish them (CloudEvents on the producers'
streams), so the catalog is tested on its own, as its team would (M3).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext

from bazaar_catalog.service import build_app
from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import assert_problem, eventually, running_app
from bazaar_platform.nats_server import NatsServer, free_port


class Producers:
    """Publishes facts as product, pricing, inventory and category would."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, type: str, subject: str, sequence: int, data: dict[str, Any]) -> None:
        event = Event(type=type, subject=subject, sequence=sequence, data=data, source="/test/0")
        await self.js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
        )

    async def product(
        self, sku: str, *, seq: int = 1, status: str = "active", name: str = ""
    ) -> None:
        await self.publish(
            "product.updated.v1",
            sku,
            seq,
            {
                "sku": sku,
                "name": name or f"Product {sku}",
                "description": "d",
                "attributes": {},
                "status": status,
            },
        )

    async def price(self, sku: str, amount: int, *, seq: int) -> None:
        await self.publish(
            "pricing.price_changed.v1",
            sku,
            seq,
            {"sku": sku, "base_prices": [{"amount": amount, "currency": "USD"}], "prices": []},
        )

    async def stock(self, sku: str, available: int, *, seq: int) -> None:
        await self.publish(
            "inventory.stock_changed.v1",
            sku,
            seq,
            {
                "sku": sku,
                "on_hand": available,
                "reserved": 0,
                "available": available,
                "locations": [],
            },
        )

    async def category(
        self, key: str, name: str, *, parent: str | None = None, position: int = 0
    ) -> None:
        await self.publish(
            "category.created.v1",
            key,
            1,
            {"key": key, "name": name, "parent": parent, "position": position},
        )

    async def place(self, key: str, sku: str, position: int, *, seq: int = 1) -> None:
        await self.publish(
            "category.product_assigned.v1",
            f"{key}/{sku}",
            seq,
            {"category": key, "sku": sku, "position": position},
        )

    async def unplace(self, key: str, sku: str, *, seq: int) -> None:
        await self.publish(
            "category.product_unassigned.v1", f"{key}/{sku}", seq, {"category": key, "sku": sku}
        )


@pytest.fixture
async def producers(nats_server: NatsServer) -> AsyncIterator[Producers]:
    client = await nats.connect(nats_server.url)  # their streams: provisioned by nats_server
    yield Producers(client.jetstream())
    await client.close()


@pytest.fixture
async def catalog(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def page_of(catalog: httpx.AsyncClient, key: str, **params: int) -> dict[str, Any]:
    reply = await catalog.get(f"/catalog/1/categories/{key}/products", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


@pytest.mark.each_database
async def test_a_category_page_shows_name_price_and_stock_in_placement_order_in_one_call(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    key = f"coffee-{uuid.uuid4().hex[:6]}"
    await producers.category(key, "Coffee")
    for position, sku in enumerate(["C3", "C1", "C2"]):
        await producers.product(sku)
        await producers.price(sku, 1000 + position, seq=1)
        await producers.stock(sku, position, seq=1)
        await producers.place(key, sku, position)

    async def all_three_complete() -> dict[str, Any] | None:
        page = await page_of(catalog, key)
        complete = [i for i in page["items"] if i["price"] and i["available"] is not None]
        return page if len(complete) == 3 and page["items"][2]["available"] == 2 else None

    page = await eventually(all_three_complete, message="catalog did not build the page")
    assert page["category"]["name"] == "Coffee"
    assert page["total"] == 3
    assert [i["sku"] for i in page["items"]] == ["C3", "C1", "C2"]
    assert page["items"][0] == {
        "sku": "C3",
        "name": "Product C3",
        "price": {"amount": 1000, "currency": "USD"},
        "available": 0,
        "in_stock": False,
    }
    assert page["items"][1]["in_stock"] is True
    limited = await page_of(catalog, key, limit=1, offset=1)
    assert ([i["sku"] for i in limited["items"]], limited["total"]) == (["C1"], 3)


@pytest.mark.each_database
async def test_recalled_discontinued_and_unassigned_products_disappear_from_the_page(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    key = f"tea-{uuid.uuid4().hex[:6]}"
    await producers.category(key, "Tea")
    for sku in ("T1", "T2", "T3", "T4"):
        await producers.product(sku)
        await producers.place(key, sku, 0)

    async def skus() -> list[str]:
        return [i["sku"] for i in (await page_of(catalog, key))["items"]]

    await eventually(lambda: _equals(skus, ["T1", "T2", "T3", "T4"]))
    await producers.product("T1", seq=2, status="recalled")
    await producers.product("T2", seq=2, status="discontinued")
    await producers.unplace(key, "T3", seq=2)
    await eventually(lambda: _equals(skus, ["T4"]), message="hidden products still listed")
    recalled = await catalog.get("/catalog/1/products/T1")
    assert recalled.status_code == 404
    assert "recalled" in recalled.json()["detail"]
    assert (
        recalled.json()["product_status"] == "recalled"
    )  # a caller can tell withdrawn from unknown


async def test_a_single_item_names_the_categories_it_is_placed_in(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    sku, tea, gifts = f"G-{uuid.uuid4().hex[:6]}", f"tea-{uuid.uuid4().hex[:6]}", "gifts"
    await producers.product(sku)
    await producers.place(tea, sku, 0)
    await producers.place(gifts, sku, 1)
    placed = categories_of(catalog, sku)
    await eventually(lambda: _equals(placed, sorted([tea, gifts])), message="not in both")
    await producers.unplace(gifts, sku, seq=2)
    await eventually(lambda: _equals(placed, [tea]), message="still in gifts")


def categories_of(catalog: httpx.AsyncClient, sku: str) -> Any:
    async def read() -> list[str] | None:
        reply = await catalog.get(f"/catalog/1/products/{sku}")
        return list(reply.json()["categories"]) if reply.status_code == 200 else None

    return read


async def _equals(read: Any, expected: object) -> bool:
    return bool(await read() == expected)


@pytest.mark.each_database
async def test_a_price_past_32_bits_is_shown_as_published(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    sku = f"B-{uuid.uuid4().hex[:6]}"
    await producers.product(sku)
    await producers.price(sku, 10**11, seq=1)  # pricing's largest amount: past a 32-bit column

    async def priced() -> dict[str, Any] | None:
        reply = await catalog.get(f"/catalog/1/products/{sku}")
        return reply.json() if reply.status_code == 200 and reply.json()["price"] else None

    found = await eventually(priced, message="the catalog never applied the price")
    assert found["price"] == {"amount": 10**11, "currency": "USD"}


@pytest.mark.each_database
async def test_a_fact_older_than_what_the_catalog_holds_is_ignored(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    sku = f"S-{uuid.uuid4().hex[:6]}"
    await producers.product(sku)
    await producers.price(sku, 500, seq=3)
    await producers.price(sku, 400, seq=2)  # delivered late: must not win
    await producers.stock(sku, 7, seq=1)

    async def item() -> dict[str, Any] | None:
        # stock and price come on different streams: wait for both before judging the price
        reply = await catalog.get(f"/catalog/1/products/{sku}")
        body: dict[str, Any] = reply.json()
        ready = reply.status_code == 200 and body["available"] == 7 and body["price"]
        return body if ready else None

    found = await eventually(item)
    assert found["price"] == {"amount": 500, "currency": "USD"}
    assert found["inventory_synced"] is False


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/catalog/1/categories/nope/products", 404, "nope"),
        ("/catalog/1/categories/x/products?limit=0", 422, "limit"),
        ("/catalog/1/categories/x/products?limit=1000", 422, "limit"),
        ("/catalog/1/categories/x/products?offset=-1", 422, "offset"),
        ("/catalog/1/products/UNKNOWN", 404, "UNKNOWN"),
        ("/catalog/1/products/X?forceInventorySync=maybe", 422, "forceInventorySync"),
    ],
)
async def test_bad_requests_get_a_problem_with_a_useful_detail(
    catalog: httpx.AsyncClient, path: str, status: int, fragment: str
) -> None:
    reply = await catalog.get(path)
    assert_problem(reply, status, fragment)


@pytest.mark.each_database
async def test_an_empty_category_and_a_page_past_the_end_still_name_the_category_and_total(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    empty, full = f"empty-{uuid.uuid4().hex[:6]}", f"full-{uuid.uuid4().hex[:6]}"
    await producers.category(empty, "Nothing yet")
    await producers.category(full, "Two things")
    for sku in ("E1", "E2"):
        await producers.product(sku)
        await producers.place(full, sku, 0)

    async def both_built() -> bool:
        replies = [await catalog.get(f"/catalog/1/categories/{k}/products") for k in (empty, full)]
        return all(r.status_code == 200 for r in replies) and replies[1].json()["total"] == 2

    await eventually(both_built)
    nothing = await page_of(catalog, empty)
    assert (nothing["category"]["name"], nothing["total"], nothing["items"]) == (
        "Nothing yet",
        0,
        [],
    )
    past = await page_of(catalog, full, offset=5)
    assert (past["category"]["name"], past["total"], past["items"]) == ("Two things", 2, [])


@pytest.mark.each_database
async def test_the_category_list_puts_the_roots_first_then_children_by_parent_and_position(
    catalog: httpx.AsyncClient, producers: Producers
) -> None:
    # PostgreSQL sorts NULL last and SQLite first: roots (parent NULL) must come first on both
    tag = uuid.uuid4().hex[:6]
    drinks, brewing, coffee, tea = (
        f"{name}-{tag}" for name in ("drinks", "brewing", "coffee", "tea")
    )
    await producers.category(tea, "Tea", parent=drinks, position=1)
    await producers.category(coffee, "Coffee", parent=drinks, position=0)
    await producers.category(brewing, "Brewing", position=1)
    await producers.category(drinks, "Drinks", position=0)

    async def all_four() -> list[str] | None:
        reply = await catalog.get("/catalog/1/categories")
        keys = [c["key"] for c in reply.json()["items"] if c["key"].endswith(tag)]
        return keys if len(keys) == 4 else None

    listed = await eventually(all_four, message="the catalog did not get the four categories")
    assert listed == [drinks, brewing, coffee, tea]


async def test_a_forced_inventory_sync_with_inventory_unreachable_is_a_503_and_the_copy_serves(
    service_settings: ServiceSettings, producers: Producers
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # no gateway, hence no inventory, answers here
    settings = service_settings.model_copy(update={"gateway_url": nowhere})
    sku = f"S-{uuid.uuid4().hex[:6]}"
    await producers.product(sku)
    await producers.stock(sku, 4, seq=1)
    async with running_app(build_app(settings)) as catalog:

        async def stocked() -> dict[str, Any] | None:
            reply = await catalog.get(f"/catalog/1/products/{sku}")
            item: dict[str, Any] = reply.json()
            return item if reply.status_code == 200 and item["available"] == 4 else None

        copy = await eventually(stocked, message="the catalog never applied the stock")
        forced = await catalog.get(f"/catalog/1/products/{sku}?forceInventorySync=true")
    assert_problem(forced, 503, "omit forceInventorySync")
    assert (copy["available"], copy["inventory_synced"]) == (4, False)
