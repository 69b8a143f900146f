"""Search finds products for a guest, from facts on a real NATS server, in a real database (each
test marked each_database runs on SQLite with FTS5 and again on PostgreSQL with tsvector/GIN).

Facts are published here as their producers publish them, so search is tested on its own (M3).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.caller import GUEST
from bazaar_chassis.testing import FactPublisher, assert_problem, eventually, running_app
from bazaar_platform.nats_server import NatsServer
from bazaar_search.service import build_app


class Producers:
    """Publishes facts as product, pricing, inventory and category would."""

    def __init__(self, facts: FactPublisher) -> None:
        self.facts = facts

    async def product(
        self, sku: str, name: str, *, description: str = "", seq: int = 1, status: str = "active"
    ) -> Any:
        data = {"sku": sku, "name": name, "description": description, "attributes": {}}
        kind = "recalled" if status == "recalled" else "updated"
        extra = {"reason": "test"} if status == "recalled" else {}
        return await self.facts.publish(
            f"product.{kind}.v1",
            subject=sku,
            sequence=seq,
            data={**data, "status": status, **extra},
        )

    async def price(self, sku: str, amount: int, *, seq: int = 1) -> None:
        data = {"sku": sku, "base_prices": [{"amount": amount, "currency": "USD"}], "prices": []}
        await self.facts.publish("pricing.price_changed.v1", subject=sku, sequence=seq, data=data)

    async def stock(self, sku: str, available: int, *, seq: int = 1) -> None:
        data = {"sku": sku, "on_hand": available, "reserved": 0, "available": available}
        await self.facts.publish("inventory.stock_changed.v1", subject=sku, sequence=seq, data=data)

    async def category(self, key: str, *, parent: str | None = None) -> None:
        data = {"key": key, "name": key.title(), "parent": parent, "position": 0}
        await self.facts.publish("category.created.v1", subject=key, sequence=1, data=data)

    async def place(self, key: str, sku: str) -> None:
        data = {"category": key, "sku": sku, "position": 0}
        await self.facts.publish(
            "category.product_assigned.v1", subject=f"{key}/{sku}", sequence=1, data=data
        )

    async def listed(
        self, sku: str, name: str, amount: int, available: int, *, description: str = ""
    ) -> None:
        """A product with its price and stock, as the seeding of a catalog produces them."""
        await self.product(sku, name, description=description)
        await self.price(sku, amount)
        await self.stock(sku, available)


@pytest.fixture
async def producers(nats_server: NatsServer) -> AsyncIterator[Producers]:
    async with FactPublisher.connected(nats_server.url, ["product", "pricing"]) as facts:
        yield Producers(facts)


@pytest.fixture
async def search(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings), caller=GUEST) as client:
        yield client


async def found(search: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    reply = await search.get("/search/1/products", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def skus_once(search: httpx.AsyncClient, expected: list[str], **params: Any) -> bool:
    return [i["sku"] for i in (await found(search, **params))["items"]] == expected


async def until_found(
    search: httpx.AsyncClient, expected: list[str], message: str, **params: Any
) -> None:
    await eventually(lambda: skus_once(search, expected, **params), message=message)


@pytest.mark.each_database
async def test_a_match_in_the_name_ranks_above_one_in_the_description_and_prefixes_match(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.listed("GRINDER", "Burr grinder", 5900, 3, description="for espresso beans")
    await producers.listed("BLEND", "House Espresso Blend", 1450, 40, description="dark roast")
    await producers.listed("TEA", "Darjeeling", 900, 5, description="first flush")
    await until_found(search, ["BLEND", "GRINDER"], "espresso not ranked name-first", q="espresso")
    blend = {
        "sku": "BLEND",
        "name": "House Espresso Blend",
        "price": {"amount": 1450, "currency": "USD"},
        "available": 40,
        "in_stock": True,
    }

    async def prefix_finds_it_in_full() -> bool:
        # Name, price and stock come from three streams, each consumed on its own: the name
        # found says nothing yet of the price and stock.
        typed = await found(search, q="espr")
        return [i["sku"] for i in typed["items"]] == ["BLEND", "GRINDER"] and (
            typed["items"][0] == blend
        )

    await eventually(
        prefix_finds_it_in_full, message="a prefix did not find it, priced and stocked"
    )
    assert (await found(search, q="hou esp"))["total"] == 1  # every word, each a prefix
    assert (await found(search, q="espresso tea"))["total"] == 0


@pytest.mark.each_database
async def test_one_typo_is_forgiven_and_the_correction_is_reported(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.listed("BLEND", "House Espresso Blend", 1450, 40)
    await until_found(search, ["BLEND"], "not indexed", q="espresso")
    for typo in ("espreso", "expresso", "espressso", "epsresso"):
        result = await found(search, q=typo)
        assert [i["sku"] for i in result["items"]] == ["BLEND"], typo
        assert result["corrections"] == {typo: ["espresso"]}
    assert (await found(search, q="exprezzo"))["total"] == 0  # two edits: not guessed
    assert (await found(search, q="espresso"))["corrections"] == {}


@pytest.mark.each_database
async def test_filters_narrow_and_facets_count_every_match(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.category("drinks")
    await producers.category("coffee", parent="drinks")
    await producers.category("gear")
    catalog = [
        ("C1", "Kenya coffee", 1200, 5, "coffee"),
        ("C2", "Peru coffee", 2600, 0, "coffee"),
        ("C3", "Panama coffee", 12000, 2, "coffee"),
        ("G1", "Coffee grinder", 5900, 1, "gear"),
    ]
    for sku, name, amount, available, key in catalog:
        await producers.listed(sku, name, amount, available)
        await producers.place(key, sku)

    prices = {"0-999": 0, "1000-2499": 1, "2500-4999": 1, "5000-9999": 1, "10000+": 1}

    async def all_placed() -> bool:  # placements, stock and prices: three streams, each its own
        facets: dict[str, Any] = (await found(search, q="coffee"))["facets"]
        placed = facets["category"] == {"coffee": 3, "gear": 1}
        return bool(
            placed and facets["in_stock"] == {"true": 3, "false": 1} and facets["price"] == prices
        )

    await eventually(all_placed, message="search never applied every fact")
    everything = await found(search, q="coffee")
    assert everything["total"] == 4
    drinks = await found(search, q="coffee", category="drinks")  # a parent finds its children's
    assert sorted(i["sku"] for i in drinks["items"]) == ["C1", "C2", "C3"]
    assert (await found(search, q="coffee", in_stock="true", category="coffee"))["total"] == 2
    priced = await found(search, q="coffee", min_price=1000, max_price=2600)
    assert sorted(i["sku"] for i in priced["items"]) == ["C1", "C2"]
    assert priced["facets"]["price"]["1000-2499"] == 1
    assert (await found(search, in_stock="false"))["total"] == 1  # no q: every listed product
    paged = await found(search, q="coffee", limit=2, offset=3)
    assert (paged["total"], len(paged["items"])) == (4, 1)


@pytest.mark.each_database
async def test_a_price_past_32_bits_is_found_and_filtered_on(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.listed("YACHT", "Ocean yacht", 10**11, 1)  # past a 32-bit column
    await until_found(search, ["YACHT"], "not indexed at its price", min_price=10**11)
    assert (await found(search, q="yacht"))["items"][0]["price"]["amount"] == 10**11


@pytest.mark.each_database
async def test_a_renamed_or_repriced_product_is_found_under_its_new_name_and_price(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.listed("MUG", "Enamel mug", 900, 10)
    await until_found(search, ["MUG"], "not indexed", q="enamel")
    await producers.product("MUG", "Stoneware cup", seq=2)
    await producers.price("MUG", 1500, seq=2)
    await until_found(search, ["MUG"], "not found under its new name", q="stoneware")
    await until_found(search, ["MUG"], "not found at its new price", min_price=1500)
    assert (await found(search, q="enamel"))["total"] == 0
    assert (await found(search, q="cup"))["items"][0]["price"]["amount"] == 1500


@pytest.mark.each_database
async def test_recalled_and_discontinued_products_are_never_found_and_late_facts_are_ignored(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    for sku in ("K1", "K2", "K3"):
        await producers.listed(sku, f"Kettle {sku}", 3000, 1)
    await until_found(search, ["K1", "K2", "K3"], "not indexed", q="kettle")
    await producers.product("K1", "Kettle K1", seq=3, status="recalled")
    await producers.product("K2", "Kettle K2", seq=2, status="discontinued")
    await producers.product("K1", "Kettle K1", seq=2)  # older than the recall: must not win
    await until_found(search, ["K3"], "withdrawn products still found", q="kettle")

    async def only_k3_counted() -> bool:  # its stock comes from another stream than its name
        facets = (await found(search, q="kettle"))["facets"]
        return bool(facets["in_stock"] == {"true": 1, "false": 0})

    await eventually(only_k3_counted, message="a withdrawn product still counted in stock")


async def test_a_redelivered_fact_changes_nothing(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    created = await producers.product("PAN", "Milk pan")
    await producers.price("PAN", 2000)
    await until_found(search, ["PAN"], "not indexed", q="milk")
    await producers.product("PAN", "Sauce pan", seq=2)
    await until_found(search, ["PAN"], "not renamed", q="sauce")
    await producers.facts.redeliver(created)  # the same event id, past JetStream's dedup window
    await producers.price("PAN", 2100, seq=2)  # a later fact on another stream: a barrier
    await until_found(search, ["PAN"], "reprice not applied", min_price=2100)
    assert (await found(search, q="milk"))["total"] == 0


BAD_QUERIES = [
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("offset=-1", "offset"),
    ("offset=99999999999999999999", "offset"),
    ("limit=99999999999999999999", "limit"),
    ("in_stock=maybe", "in_stock"),
    ("min_price=-1", "min_price"),
    ("max_price=100000000001", "max_price"),  # past pricing's largest amount
    ("min_price=500&max_price=100", "above max_price"),
    ("q=%21%3F%2A", "no letters or digits"),
    (f"q={'x' * 201}", "q"),
    ("q=a+b+c+d+e+f+g+h+i", "at most 8"),
]


async def test_bad_input_is_a_422_problem_with_a_useful_detail(search: httpx.AsyncClient) -> None:
    # one app for every case (not one per parameter): starting and stopping a service per case
    # costs more than the cases themselves
    for query, fragment in BAD_QUERIES:
        assert_problem(await search.get(f"/search/1/products?{query}"), 422, fragment)


async def test_the_fts5_query_syntax_of_a_shopper_cannot_break_a_search(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    sku = f"Q-{uuid.uuid4().hex[:6]}"
    await producers.listed(sku, "Quote near orange kettle", 100, 1)
    await until_found(search, [sku], "not indexed", q="quote")
    for q in ('"quote', "quote OR", "NEAR(quote", "quote*", "kettle:*", "-quote", "quote & | !"):
        assert [i["sku"] for i in (await found(search, q=q))["items"]] == [sku], q


@pytest.mark.each_database
async def test_a_category_holding_a_nul_character_is_refused_naming_it(
    search: httpx.AsyncClient, producers: Producers
) -> None:
    await producers.category("coffee")
    await producers.listed("C1", "Kenya coffee", 1200, 5)
    await producers.place("coffee", "C1")
    await until_found(search, ["C1"], "not indexed", category="coffee")
    reply = await search.get("/search/1/products", params={"category": "coffee\u0000"})
    # PostgreSQL cannot compare text with U+0000
    assert_problem(reply, 422, "query.category: Value error, must not contain the NUL character")
    assert [i["sku"] for i in (await found(search, category="coffee"))["items"]] == ["C1"]
