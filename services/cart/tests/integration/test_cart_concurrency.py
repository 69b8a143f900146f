"""Concurrent writers on one cart, on SQLite and on PostgreSQL: no line is ever lost, quantities
add up, and a signed-in user still ends up with exactly one active cart."""

from __future__ import annotations

import asyncio

import httpx

from .conftest import Upstream

Shop = tuple[httpx.AsyncClient, Upstream]
WRITERS = 8


async def test_concurrent_adds_of_different_skus_never_lose_a_line(shop: Shop) -> None:
    client, upstream = shop
    skus = [f"SKU-{n}" for n in range(WRITERS)]
    for sku in skus:
        upstream.product(sku, name=sku, price=100, stock=10, categories=[])
    cart_id = (await client.post("/cart/1/carts")).json()["id"]
    replies = await asyncio.gather(
        *(
            client.post(f"/cart/1/carts/{cart_id}/items", json={"sku": sku, "quantity": 1})
            for sku in skus
        )
    )
    assert [r.status_code for r in replies] == [201] * WRITERS, [r.text for r in replies]
    cart = (await client.get(f"/cart/1/carts/{cart_id}")).json()
    assert sorted(line["sku"] for line in cart["lines"]) == sorted(skus)
    assert cart["version"] == 1 + WRITERS


async def test_concurrent_adds_of_one_sku_add_up_and_never_pass_the_stock(shop: Shop) -> None:
    client, upstream = shop
    upstream.product("TEA-1", name="Tea", price=100, stock=5, categories=[])
    cart_id = (await client.post("/cart/1/carts")).json()["id"]
    replies = await asyncio.gather(
        *(
            client.post(f"/cart/1/carts/{cart_id}/items", json={"sku": "TEA-1", "quantity": 1})
            for _ in range(WRITERS)
        )
    )
    assert sorted(r.status_code for r in replies) == [201] * 5 + [409] * (WRITERS - 5)
    (line,) = (await client.get(f"/cart/1/carts/{cart_id}")).json()["lines"]
    assert line["quantity"] == 5


async def test_concurrent_creates_by_one_user_yield_one_active_cart(shop: Shop) -> None:
    client, _ = shop
    replies = await asyncio.gather(*(client.post("/cart/1/carts") for _ in range(WRITERS)))
    assert [r.status_code for r in replies] == [201] * WRITERS, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
