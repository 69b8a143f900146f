"""Checkout by choreography on a real `bazaar up` (issue 9): a shopper buys with a discount code
and a good card, another with a declined card; nobody coordinates, every service reacts.

One platform for the module; each test makes its own cart and order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import eventually_sync

from .conftest import Platform, client

pytestmark = pytest.mark.e2e

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SETTLE_SECONDS = 30.0


@pytest.fixture(scope="module")
def shopper(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "shopper@bazaar.test") as c:
        yield c


@pytest.fixture(scope="module")
def admin(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "admin@bazaar.test") as c:
        yield c


def a_coffee_in_stock(shopper: httpx.Client, at_least: int) -> dict[str, Any]:
    page = shopper.get("/catalog/1/categories/coffee/products?limit=20").json()
    return next(i for i in page["items"] if i["available"] >= at_least)


def stock_of(admin: httpx.Client, sku: str) -> dict[str, Any]:
    reply = admin.get(f"/inventory/1/stock/{sku}")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def a_cart_with(shopper: httpx.Client, sku: str, quantity: int) -> str:
    created = shopper.post("/cart/1/carts")
    assert created.status_code in (200, 201), created.text
    cart_id = str(created.json()["id"])
    added = shopper.post(f"/cart/1/carts/{cart_id}/items", json={"sku": sku, "quantity": quantity})
    assert added.status_code == 201, added.text
    return cart_id


def place_order(shopper: httpx.Client, cart_id: str, card: str) -> dict[str, Any]:
    reply = shopper.post(
        "/order/1/orders",
        json={"cart_id": cart_id, "payment": {"card_number": card}},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert reply.status_code == 201, reply.text
    order: dict[str, Any] = reply.json()
    assert (order["status"], order["payment_status"]) == ("open", "pending")
    return order


def settled(shopper: httpx.Client, order_id: str) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        order: dict[str, Any] = shopper.get(f"/order/1/orders/{order_id}").json()
        return order if order["status"] in ("confirmed", "cancelled") else None

    return eventually_sync(final, timeout=SETTLE_SECONDS, message="the order never settled")


def test_a_shopper_buys_with_a_code_and_a_good_card_and_every_service_reacts(
    shopper: httpx.Client, admin: httpx.Client
) -> None:
    item = a_coffee_in_stock(shopper, at_least=2)
    before = stock_of(admin, item["sku"])
    cart_id = a_cart_with(shopper, item["sku"], 2)
    coded = shopper.post(f"/cart/1/carts/{cart_id}/discount-codes", json={"code": "WELCOME10"})
    assert coded.status_code in (200, 201), coded.text
    cart = shopper.get(f"/cart/1/carts/{cart_id}").json()
    assert cart["discounts"], cart
    assert cart["total"]["amount"] < cart["subtotal"]["amount"], cart

    order = settled(shopper, place_order(shopper, cart_id, GOOD_CARD)["id"])

    assert (order["status"], order["payment_status"]) == ("confirmed", "paid"), order
    assert order["total"] == cart["total"]
    eventually_sync(
        lambda: stock_of(admin, item["sku"])["on_hand"] == before["on_hand"] - 2,
        timeout=SETTLE_SECONDS,
        message="inventory never took the stock",
    )
    payment = admin.get(f"/payment/1/payments/{order['id']}").json()
    assert payment["state"] == "captured", payment
    assert [t["kind"] for t in payment["transactions"] if t["status"] == "succeeded"] == [
        "authorize",
        "capture",
    ], payment
    eventually_sync(
        lambda: any(
            order["id"] in m["body"] or order["id"] in m["subject"]
            for m in shopper.get("/notification/1/messages").json()["items"]
        ),
        timeout=SETTLE_SECONDS,
        message="no confirmation message",
    )
    eventually_sync(
        lambda: (
            order["id"]
            in {o["order_id"] for o in shopper.get("/customer/1/customers/me").json()["orders"]}
        ),
        timeout=SETTLE_SECONDS,
        message="the order is not in the customer's history",
    )


def test_a_declined_card_cancels_the_order_with_a_reason_and_releases_the_stock(
    shopper: httpx.Client, admin: httpx.Client
) -> None:
    item = a_coffee_in_stock(shopper, at_least=1)
    before = stock_of(admin, item["sku"])
    cart_id = a_cart_with(shopper, item["sku"], 1)

    order = settled(shopper, place_order(shopper, cart_id, DECLINED_CARD)["id"])

    assert (order["status"], order["payment_status"]) == ("cancelled", "failed"), order
    assert "declined" in order["reason"]
    eventually_sync(
        lambda: stock_of(admin, item["sku"])["available"] == before["available"],
        timeout=SETTLE_SECONDS,
        message="the reservation was never released",
    )


def test_jenn_reads_and_places_orders_and_another_shopper_sees_nothing_that_is_not_theirs(
    platform: Platform, shopper: httpx.Client, admin: httpx.Client
) -> None:
    item = a_coffee_in_stock(shopper, at_least=1)
    cart_id = a_cart_with(shopper, item["sku"], 1)
    order = settled(shopper, place_order(shopper, cart_id, GOOD_CARD)["id"])

    with client(platform, "jenn@bazaar.test") as jenn:
        assert jenn.get(f"/order/1/orders/{order['id']}").status_code == 200
        own_cart = a_cart_with(jenn, item["sku"], 1)
        assert settled(jenn, place_order(jenn, own_cart, GOOD_CARD)["id"])["status"] == "confirmed"
    with client(platform, "shopper2@bazaar.test") as other:
        assert other.get(f"/order/1/orders/{order['id']}").status_code in (403, 404)
        assert other.get(f"/cart/1/carts/{cart_id}").status_code in (403, 404)
        assert other.get(f"/payment/1/payments/{order['id']}").status_code in (403, 404)
        theirs = other.get("/notification/1/messages").json()["items"]
        assert all(order["id"] not in m["body"] for m in theirs)
        shoppers = other.get("/notification/1/messages?to=shopper@bazaar.test")
        assert shoppers.status_code == 403
