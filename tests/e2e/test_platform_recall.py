"""A product recall by choreography on a real `bazaar up` (issue 10): `bazaar recall` posts one
fact and every interested service reacts on its own; the outcome is read through the public API.

One platform for the module; each test recalls a product of its own (a recall is final).
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest

from bazaar_chassis.testing import eventually_sync

from .conftest import BAZAAR, Platform, client

# A recall's cascade crosses six services and a sign-in; on a loaded machine one test can take
# longer than the suite's default 180 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

GOOD_CARD = "4242424242424242"
SETTLE = 30.0


@pytest.fixture(scope="module")
def admin(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "admin@bazaar.test", timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def buyer(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "shopper@bazaar.test", timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def browser(platform: Platform) -> Iterator[httpx.Client]:
    """A customer who only puts the product in a cart: told on the cart, never by message."""
    with client(platform, "shopper2@bazaar.test", timeout=30) as c:
        yield c


def ok(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code < 300, reply.text
    body: dict[str, Any] = reply.json()
    return body


def a_new_product(admin: httpx.Client, stock: int = 20) -> str:
    sku = f"RCL-{uuid.uuid4().hex[:8].upper()}"
    ok(admin.post("/product/1/products", json={"sku": sku, "name": f"Kettle {sku}"}))
    ok(admin.put(f"/pricing/1/prices/{sku}", json={"amount": 2500, "currency": "USD"}))
    ok(admin.put(f"/inventory/1/stock/{sku}", json={"quantity": stock}))
    eventually_sync(
        lambda: admin.get(f"/catalog/1/products/{sku}").json().get("available") == stock,
        timeout=SETTLE,
        message="the new product never reached the catalog",
    )
    return sku


def add_to_cart(shopper: httpx.Client, sku: str, quantity: int) -> str:
    cart = ok(shopper.post("/cart/1/carts"))
    added = shopper.post(
        f"/cart/1/carts/{cart['id']}/items", json={"sku": sku, "quantity": quantity}
    )
    assert added.status_code == 201, added.text
    return str(cart["id"])


def buy(shopper: httpx.Client, sku: str, quantity: int) -> str:
    cart_id = add_to_cart(shopper, sku, quantity)
    order = ok(
        shopper.post(
            "/order/1/orders",
            json={"cart_id": cart_id, "payment": {"card_number": GOOD_CARD}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    )
    eventually_sync(
        lambda: shopper.get(f"/order/1/orders/{order['id']}").json()["status"] == "confirmed",
        timeout=SETTLE,
        message="the order was never confirmed",
    )
    return str(order["id"])


def recall_with_cli(platform: Platform, sku: str, reason: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BAZAAR, "recall", sku, "--reason", reason, "--data-dir", str(platform.data_dir),
         "--username", "merch@bazaar.test", "--password", "bazaar-demo", "--timeout", "20"],
        capture_output=True, text=True, timeout=150,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip


def recall_notices(shopper: httpx.Client, sku: str) -> list[dict[str, Any]]:
    items = shopper.get("/notification/1/messages?limit=200").json()["items"]
    return [m for m in items if m["kind"] == "product_recalled" and sku in m["subject"]]


def test_one_recall_and_every_service_reacts_on_its_own(
    platform: Platform, admin: httpx.Client, buyer: httpx.Client, browser: httpx.Client
) -> None:
    sku = a_new_product(admin)
    order_id = buy(buyer, sku, 2)
    cart_id = add_to_cart(browser, sku, 1)
    held = ok(admin.post("/inventory/1/reservations",
                         json={"sku": sku, "quantity": 3, "reference": "e2e-hold"}))  # fmt: skip

    run = recall_with_cli(platform, sku, "the lid may come off")

    assert run.returncode == 0, run.stdout + run.stderr
    for seen in ("inventory.stock_quarantined", "cart.recalled_lines_removed", "order.cancelled",
                 "payment.refunded", "notification.recall_notices_sent", "catalog"):  # fmt: skip
        assert seen in run.stdout, run.stdout
    # catalog: delisted
    assert admin.get(f"/catalog/1/products/{sku}").status_code == 404
    # inventory: quarantined, on hand kept, the reservation released
    stock = ok(admin.get(f"/inventory/1/stock/{sku}"))
    assert (stock["on_hand"], stock["available"], stock["reserved"]) == (18, 0, 0)
    assert stock["quarantine"] == "the lid may come off"
    assert ok(admin.get(f"/inventory/1/reservations/{held['id']}"))["status"] == "released"
    # cart: the line is gone and the owner is told why
    cart = ok(browser.get(f"/cart/1/carts/{cart_id}"))
    assert sku not in [line["sku"] for line in cart["lines"]]
    assert [(n["sku"], n["reason"]) for n in cart["notices"] if n["sku"] == sku] == [
        (sku, "the lid may come off")
    ]
    # order: cancelled with the recall's reason; payment refunds it
    order = ok(buyer.get(f"/order/1/orders/{order_id}"))
    assert order["status"] == "cancelled"
    assert order["reason"] == f"product recalled: {sku} (the lid may come off)"
    eventually_sync(
        lambda: buyer.get(f"/order/1/orders/{order_id}").json()["payment_status"] == "refunded",
        timeout=SETTLE,
        message="the refund never reached the order",
    )
    assert ok(buyer.get(f"/payment/1/payments/{order_id}"))["state"] == "refunded"
    # notification: the buyer is told, the customer who only had it in a cart is not
    [notice] = recall_notices(buyer, sku)
    assert order_id in notice["body"]
    assert recall_notices(browser, sku) == []


def test_a_duplicate_recall_is_refused_and_changes_nothing(
    platform: Platform, admin: httpx.Client, buyer: httpx.Client
) -> None:
    sku = a_new_product(admin)
    order_id = buy(buyer, sku, 1)
    assert recall_with_cli(platform, sku, "first").returncode == 0
    eventually_sync(lambda: len(recall_notices(buyer, sku)) == 1, timeout=SETTLE)
    before = (
        ok(admin.get(f"/inventory/1/stock/{sku}")),
        ok(buyer.get(f"/order/1/orders/{order_id}")),
        recall_notices(buyer, sku),
    )

    again = recall_with_cli(platform, sku, "second")

    assert again.returncode == 1
    assert "409" in again.stdout, again.stdout
    after = (
        ok(admin.get(f"/inventory/1/stock/{sku}")),
        ok(buyer.get(f"/order/1/orders/{order_id}")),
        recall_notices(buyer, sku),
    )
    assert after == before


def test_a_service_stopped_during_the_recall_catches_up_and_the_others_do_not_wait(
    admin: httpx.Client, buyer: httpx.Client, platform: Platform
) -> None:
    sku = a_new_product(admin)
    order_id = buy(buyer, sku, 1)
    notification = platform.component("notification")
    notification.send_signal(signal.SIGSTOP)
    try:
        reply = admin.post(f"/product/1/products/{sku}/recall", json={"reason": "stopped test"})
        assert reply.status_code == 200, reply.text
        eventually_sync(
            lambda: admin.get(f"/inventory/1/stock/{sku}").json()["quarantine"] == "stopped test",
            timeout=SETTLE,
            message="inventory did not react while notification was stopped",
        )
        eventually_sync(
            lambda: buyer.get(f"/order/1/orders/{order_id}").json()["status"] == "cancelled",
            timeout=SETTLE,
            message="order did not react while notification was stopped",
        )
        assert notification.status() == psutil.STATUS_STOPPED
    finally:
        notification.send_signal(signal.SIGCONT)
    eventually_sync(
        lambda: len(recall_notices(buyer, sku)) == 1,
        timeout=SETTLE,
        message="notification never caught up with the recall",
    )
