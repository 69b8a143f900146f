"""The search page against a stand-in gateway: results carry add-to-cart forms that come back to
the same results, the filters show the search API's facet counts, and a price band becomes the
API's min/max price (anything else is dropped, never forwarded)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bazaar_storefront.app import build_app
from bazaar_storefront.search_pages import PriceBand, price_filters
from bazaar_storefront.settings import StorefrontSettings

FACETS = {
    "category": {"coffee": 2},
    "in_stock": {"true": 1, "false": 1},
    "price": {"10000+": 0, "0-999": 1, "1000-2499": 1},
}
RESULTS = {
    "total": 2,
    "limit": 12,
    "offset": 0,
    "items": [
        {"sku": "COF-1", "name": "Kenya AA", "price": {"amount": 950, "currency": "USD"},
         "available": 4, "in_stock": True},
        {"sku": "COF-2", "name": "Kenya Peaberry", "price": {"amount": 1200, "currency": "USD"},
         "available": 0, "in_stock": False},
    ],
    "facets": FACETS,
    "corrections": {},
}  # fmt: skip


@pytest.fixture
async def searched(tmp_path: Path) -> AsyncIterator[tuple[TestClient[Any, Any], list[Any]]]:
    """The storefront, and the query strings its stand-in gateway's search received."""
    asked: list[Any] = []

    async def categories(_: web.Request) -> web.Response:
        return web.json_response(
            {"items": [{"key": "coffee", "name": "Coffee", "parent": None, "position": 0}]}
        )

    async def search(request: web.Request) -> web.Response:
        asked.append(dict(request.query))
        return web.json_response(RESULTS)

    async def new_cart(_: web.Request) -> web.Response:
        money = {"amount": 0, "currency": "USD"}
        cart = {"id": "c-1", "cart_token": "ct-1", "owner": "guest", "state": "active"}
        empty = {"codes": [], "discounts": [], "lines": [], "messages": [], "version": 1}
        return web.json_response({**cart, **empty, "subtotal": money, "total": money}, status=201)

    async def refuse_item(_: web.Request) -> web.Response:
        return web.json_response({"status": 409, "detail": "short", "available": 4}, status=409)

    gateway = web.Application()
    gateway.router.add_get("/catalog/1/categories", categories)
    gateway.router.add_get("/search/1/products", search)
    gateway.router.add_post("/cart/1/carts", new_cart)
    gateway.router.add_post("/cart/1/carts/{cart_id}/items", refuse_item)
    async with TestServer(gateway) as server:
        url = str(server.make_url("")).rstrip("/")
        settings = StorefrontSettings(data_dir=tmp_path, gateway_url=url)
        client: TestClient[Any, Any] = TestClient(TestServer(build_app(settings)))
        await client.start_server()
        yield client, asked
        await client.close()


async def test_each_result_in_stock_can_be_added_and_a_refusal_comes_back_to_the_results(
    searched: tuple[TestClient[Any, Any], list[Any]],
) -> None:
    client, _ = searched

    page = await (await client.get("/shop/search", params={"q": "kenya"})).text()

    assert "2 results for “kenya”" in page
    assert page.count('action="/shop/cart/items"') == 1  # only the one in stock
    assert '<li class="product" data-sku="COF-1">' in page
    assert 'name="next" value="/shop/search?q=kenya"' in page
    assert "Out of stock" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    form = {"csrf": csrf[1], "sku": "COF-1", "quantity": "9", "next": "/shop/search?q=kenya"}
    refused = await client.post("/shop/cart/items", data=form, allow_redirects=False)
    assert (refused.status, refused.headers["Location"]) == (303, "/shop/search?q=kenya")
    back = await (await client.get(refused.headers["Location"])).text()
    assert "only 4 available (you asked for 9)" in back
    assert "2 results for “kenya”" in back


async def test_the_filters_show_the_facet_counts_and_a_band_becomes_min_and_max_price(
    searched: tuple[TestClient[Any, Any], list[Any]],
) -> None:
    client, asked = searched

    page = await (
        await client.get(
            "/shop/search",
            params={"q": "kenya", "price": "1000-2499", "in_stock": "true", "category": "coffee"},
        )
    ).text()

    assert asked[-1] == {
        "q": "kenya", "limit": "12", "in_stock": "true", "category": "coffee",
        "min_price": "1000", "max_price": "2499",
    }  # fmt: skip
    assert "Coffee (2)</option>" in page
    assert "In stock only (1)" in page
    assert 'value="1000-2499" checked> $10.00 to $24.99 (1)' in page
    assert "$0.00 to $9.99 (1)" in page


async def test_an_unknown_price_band_is_dropped_rather_than_forwarded(
    searched: tuple[TestClient[Any, Any], list[Any]],
) -> None:
    client, asked = searched

    reply = await client.get("/shop/search", params={"q": "kenya", "price": "cheap"})

    assert reply.status == 200
    assert asked[-1] == {"q": "kenya", "limit": "12"}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("1000-2499", PriceBand("1000-2499", 1000, 2499)),
        ("10000+", PriceBand("10000+", 10000, None)),
        ("2499-1000", None),
        ("-5", None),
        ("", None),
        ("²-5", None),  # a digit to str.isdigit, not to int()
        ("²+", None),
    ],
)
def test_a_price_band_is_read_from_the_search_apis_own_keys(
    key: str, expected: PriceBand | None
) -> None:
    assert PriceBand.parse(key) == expected


def test_the_price_filters_come_in_price_order_with_readable_labels() -> None:
    assert [(f["label"], f["count"]) for f in price_filters(FACETS)] == [
        ("$0.00 to $9.99", 1),
        ("$10.00 to $24.99", 1),
        ("$100.00 and up", 0),
    ]
