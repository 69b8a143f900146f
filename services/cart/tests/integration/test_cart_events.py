"""The cart's event side on real NATS: promotions and codes reach its totals through events, and
an order placed from a cart closes it and announces `cart.ordered` (once, however often told)."""

from __future__ import annotations

from typing import Any

import httpx

from bazaar_chassis.testing import EventProbe, assert_problem, eventually

from .conftest import Producers, Upstream

Shop = tuple[httpx.AsyncClient, Upstream]

TEN_PERCENT_WITH_CODE = {
    "id": "promo-save10",
    "name": "10% off tea with SAVE10",
    "kind": "percentage",
    "value": 10,
    "predicate": {"categories": ["tea"]},
    "priority": 10,
    "stacking": "stackable",
    "requires_code": True,
    "active": True,
    "some_future_field": {"ignored": True},
}
FIVE_OFF_OVER_50 = {
    "id": "promo-over50",
    "name": "$5 off orders of $50",
    "kind": "threshold",
    "value": {"amount": 500, "currency": "USD"},
    "threshold": {"amount": 5000, "currency": "USD"},
    "priority": 20,
    "stacking": "stackable",
    "requires_code": False,
    "active": True,
}


def code(uses: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "code": "SAVE10",
        "promotion_id": "promo-save10",
        "usage_limit": 3,
        "uses": uses,
        "valid_from": None,
        "valid_until": None,
        "active": True,
        **extra,
    }


async def cart_with_tea(client: httpx.AsyncClient, upstream: Upstream, quantity: int) -> str:
    upstream.product("TEA-1", name="Green tea", price=1000, stock=100, categories=["tea"])
    cart_id = str((await client.post("/cart/1/carts")).json()["id"])
    added = await client.post(
        f"/cart/1/carts/{cart_id}/items", json={"sku": "TEA-1", "quantity": quantity}
    )
    assert added.status_code == 201, added.text
    return cart_id


async def test_promotions_and_codes_from_events_make_the_carts_total(
    shop: Shop, producers: Producers
) -> None:
    client, upstream = shop
    cart_id = await cart_with_tea(client, upstream, 6)  # 60.00
    await producers.publish(
        "promotion.promotion_changed.v1", "promo-save10", 1, TEN_PERCENT_WITH_CODE
    )
    await producers.publish("promotion.promotion_changed.v1", "promo-over50", 1, FIVE_OFF_OVER_50)
    await producers.publish("promotion.code_changed.v1", "SAVE10", 1, code())

    async def total() -> int | None:
        body = (await client.get(f"/cart/1/carts/{cart_id}")).json()
        return int(body["total"]["amount"]) if body["discounts"] else None

    assert await eventually(total, message="the threshold promotion never arrived") == 5500

    async def applied() -> dict[str, Any] | None:
        reply = await client.post(
            f"/cart/1/carts/{cart_id}/discount-codes", json={"code": "SAVE10"}
        )
        return reply.json() if reply.status_code == 201 else None

    body = await eventually(applied, message="the code never arrived")
    # 10% of 60.00 first (priority 10), then the threshold on 54.00 >= 50.00
    assert [(d["code"], d["amount"]["amount"]) for d in body["discounts"]] == [
        ("SAVE10", 600),
        (None, 500),
    ]
    assert (body["subtotal"]["amount"], body["total"]["amount"]) == (6000, 4900)
    assert body["codes"] == ["SAVE10"]
    assert body["discounts"][0]["description"] == "10% off tea with SAVE10"

    await producers.publish("promotion.code_changed.v1", "SAVE10", 3, code(uses=3))
    await producers.publish("promotion.code_changed.v1", "SAVE10", 2, code(uses=1))  # late: ignored

    async def used_up() -> list[str] | None:
        messages = (await client.get(f"/cart/1/carts/{cart_id}")).json()["messages"]
        return messages or None

    assert await eventually(used_up) == ["discount code SAVE10 has been used up (3 of 3 uses)"]
    removed = await client.delete(f"/cart/1/carts/{cart_id}/discount-codes/SAVE10")
    assert (removed.json()["codes"], removed.json()["total"]["amount"]) == ([], 5500)


async def test_codes_the_cart_cannot_use_are_refused_with_the_reason(
    shop: Shop, producers: Producers
) -> None:
    client, upstream = shop
    cart_id = await cart_with_tea(client, upstream, 1)
    path = f"/cart/1/carts/{cart_id}/discount-codes"
    assert_problem(await client.post(path, json={"code": "SAVE10"}), 422, "not known")
    await producers.publish(
        "promotion.promotion_changed.v1", "promo-save10", 1, TEN_PERCENT_WITH_CODE
    )
    await producers.publish(
        "promotion.code_changed.v1", "SAVE10", 1, code(valid_until="2020-01-01T00:00:00Z")
    )

    async def expired() -> dict[str, Any] | None:
        reply = await client.post(path, json={"code": "SAVE10"})
        return reply.json() if reply.status_code == 409 else None

    assert "expired" in (await eventually(expired))["detail"]
    assert_problem(await client.post(path, json={"code": ""}), 422, "code")


async def test_an_order_placed_from_the_cart_closes_it_and_announces_cart_ordered_once(
    shop: Shop, producers: Producers, event_probe: EventProbe
) -> None:
    client, upstream = shop
    cart_id = await cart_with_tea(client, upstream, 1)
    placed = {
        "order_id": "order-1",
        "cart_id": cart_id,
        "customer": {"subject": "user-ann", "email": "ann@example.com"},
        "lines": [],
        "total": {"amount": 1000, "currency": "USD"},
    }
    await producers.publish("order.placed.v1", "order-1", 1, placed)
    ordered = await event_probe.expect("cart.ordered", subject=cart_id)
    assert ordered.data == {"cart_id": cart_id, "order_id": "order-1"}
    assert ordered.type == "cart.ordered.v1"
    body = (await client.get(f"/cart/1/carts/{cart_id}")).json()
    assert body["state"] == "ordered"
    added = await client.post(
        f"/cart/1/carts/{cart_id}/items", json={"sku": "TEA-1", "quantity": 1}
    )
    assert_problem(added, 409, "ordered")
    fresh = (await client.post("/cart/1/carts")).json()
    assert fresh["id"] != cart_id  # the user's next cart is a new one

    await producers.publish("order.placed.v1", "order-1", 1, placed)  # told again: nothing new
    await producers.publish("order.placed.v1", "order-2", 1, {**placed, "order_id": "order-2"})
    await producers.publish(
        "order.placed.v1", "o-3", 1, {**placed, "cart_id": fresh["id"], "order_id": "o-3"}
    )
    await event_probe.expect("cart.ordered", subject=fresh["id"])  # later events were applied
    assert len(event_probe.matching("cart.ordered", subject=cart_id)) == 1
    assert (await client.get(f"/cart/1/carts/{cart_id}")).json()["version"] == body["version"]


async def test_the_cart_is_ready_once_it_consumes_the_promotion_order_and_product_streams(
    shop: Shop, producers: Producers
) -> None:
    client, _ = shop

    async def ready() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get("/readyz")).json()
        return body if body["status"] == "ready" else None

    body = await eventually(ready, message="the cart never bound its consumers")
    assert body["checks"]["consumers"] == ["order", "product", "promotion"]
