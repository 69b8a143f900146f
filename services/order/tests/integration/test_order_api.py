"""The order service in process on real NATS and a real database, with small real HTTP
stand-ins for the cart and payment (as the gateway would route them); facts are published the
way inventory and payment publish them, and the order's own events are watched on the bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI, HTTPException
from nats.js import JetStreamContext

from bazaar_chassis import Caller, ServiceSettings
from bazaar_chassis.testing import (
    EventProbe,
    add_streams,
    assert_problem,
    eventually,
    identity_headers,
    publish,
    running_app,
    serving,
)
from bazaar_order.service import build_app
from bazaar_platform.nats_server import NatsServer

ANN = Caller("ann", "user", "public", ("customer",), "ann@example.test")
BOB = Caller("bob", "user", "public", ("customer",), "bob@example.test")
JENN = Caller("jenn", "user", "bazaar", ("marketing",), "jenn@bazaar.test")
GUEST = Caller("guest", "guest", "public", ("guest",))
CARD = "4242424242424242"


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


class StandIns:
    """The gateway as the order service meets it: a token, carts, and card tokenisation."""

    def __init__(self) -> None:
        self.carts: dict[str, dict[str, Any]] = {}
        self.tokenised = 0
        self.app = FastAPI()
        self.app.post("/identity/1/token")(self.token)
        self.app.get("/cart/1/carts/{cart_id}")(self.cart)
        self.app.post("/payment/1/methods", status_code=201)(self.method)

    def add_cart(self, cart_id: str, owner: str, *, lines: int = 1, status: str = "active") -> None:
        self.carts[cart_id] = {
            "id": cart_id,
            "owner": owner,
            "state": status,
            "lines": [
                {
                    "sku": "COF-1",
                    "name": "Coffee",
                    "quantity": 2,
                    "unit_price": usd(1000),
                    "line_total": usd(2000),
                }
            ][:lines],
            "subtotal": usd(2000),
            "discounts": [],
            "total": usd(2000),
            "codes": [],
            "version": 3,
        }

    async def token(self) -> dict[str, Any]:
        return {"access_token": "order-token", "expires_in": 300}

    async def cart(self, cart_id: str) -> dict[str, Any]:
        if cart_id not in self.carts:
            raise HTTPException(404)
        return self.carts[cart_id]

    async def method(self, body: dict[str, str]) -> dict[str, str]:
        if not body["card_number"].isdigit():
            raise HTTPException(422, detail="not a card number")
        self.tokenised += 1
        return {"id": f"pm-{self.tokenised}", "brand": "visa", "last4": body["card_number"][-4:]}


class Facts:
    """Publishes what inventory, promotion and payment would, on their own streams."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, type: str, order_id: str, data: dict[str, Any]) -> None:
        await publish(self.js, type, subject=order_id, data={"order_id": order_id, **data})


@pytest.fixture
async def stand_ins(service_settings: ServiceSettings) -> AsyncIterator[StandIns]:
    stand_ins = StandIns()
    async with serving(lambda _settings: stand_ins.app, service_settings) as served:
        stand_ins.app.state.url = served.url
        yield stand_ins


@pytest.fixture
async def facts(nats_server: NatsServer) -> AsyncIterator[Facts]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "inventory", "payment", "promotion")
    yield Facts(js)
    await client.close()


@pytest.fixture
def settings(service_settings: ServiceSettings, stand_ins: StandIns) -> ServiceSettings:
    return service_settings.model_copy(update={"gateway_url": stand_ins.app.state.url})


@pytest.fixture
async def order(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(settings), caller=ANN) as client:
        yield client


@pytest.fixture
async def order_on_both(
    settings: ServiceSettings, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The order service on SQLite, then on PostgreSQL (row locks while facts move an order)."""
    on_database = settings.model_copy(update={"database_url": database_url})
    async with running_app(build_app(on_database), caller=ANN) as client:
        yield client


async def place(
    client: httpx.AsyncClient, cart_id: str = "cart-1", *, key: str = "key-1", as_: Caller = ANN
) -> httpx.Response:
    return await client.post(
        "/order/1/orders",
        json={"cart_id": cart_id, "payment": {"card_number": CARD}},
        headers={"Idempotency-Key": key, **identity_headers(as_)},
    )


async def test_an_order_is_placed_open_and_announced_without_the_card_number(
    order: httpx.AsyncClient, stand_ins: StandIns, event_probe: EventProbe
) -> None:
    stand_ins.add_cart("cart-1", "ann")
    reply = await place(order)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["status"], body["payment_status"], body["fulfillment_status"]) == (
        "open",
        "pending",
        "unfulfilled",
    )
    assert (body["total"], body["card_last4"]) == (usd(2000), "4242")
    placed = await event_probe.expect("order.placed", subject=body["id"])
    assert placed.data["customer"] == {"subject": "ann", "email": "ann@example.test"}
    assert placed.data["lines"][0] == {
        "sku": "COF-1",
        "name": "Coffee",
        "quantity": 2,
        "unit_price": usd(1000),
        "line_total": usd(2000),
    }
    assert CARD not in placed.to_json().decode()
    assert (await order.get(f"/order/1/orders/{body['id']}")).json()["id"] == body["id"]


async def test_the_same_key_sent_five_times_at_once_makes_one_order(
    service_settings: ServiceSettings,
    stand_ins: StandIns,
    database_url: str,
    event_probe: EventProbe,
) -> None:
    settings = service_settings.model_copy(
        update={"gateway_url": stand_ins.app.state.url, "database_url": database_url}
    )
    stand_ins.add_cart("cart-1", "ann")
    async with running_app(build_app(settings), caller=ANN) as client:
        replies = await asyncio.gather(*(place(client) for _ in range(5)))
        other_key = await place(client, key="key-2")  # the same cart: the same order
        assert sorted(r.status_code for r in replies) == [200, 200, 200, 200, 201]
        assert len({r.json()["id"] for r in [*replies, other_key]}) == 1
        await event_probe.expect("order.placed")
        listed = (await client.get("/order/1/orders")).json()["items"]
    assert len(listed) == 1
    assert len(event_probe.matching("order.placed")) == 1


async def test_the_same_key_for_another_cart_is_a_conflict(
    order: httpx.AsyncClient, stand_ins: StandIns
) -> None:
    stand_ins.add_cart("cart-1", "ann")
    stand_ins.add_cart("cart-2", "ann")
    assert (await place(order)).status_code == 201
    assert_problem(await place(order, "cart-2"), 409, "already used to order cart 'cart-1'")


@pytest.mark.parametrize(
    ("cart", "status", "detail"),
    [
        ({"owner": "bob"}, 404, "no cart 'cart-1' of yours"),
        ({"owner": "ann", "lines": 0}, 409, "it is empty"),
        ({"owner": "ann", "status": "ordered"}, 409, "it is ordered, not active"),
        (None, 404, "no cart 'cart-1' of yours"),
    ],
)
async def test_only_the_callers_active_cart_with_lines_can_be_ordered(
    order: httpx.AsyncClient,
    stand_ins: StandIns,
    cart: dict[str, Any] | None,
    status: int,
    detail: str,
) -> None:
    if cart is not None:
        stand_ins.add_cart("cart-1", **cart)
    assert_problem(await place(order), status, detail)


async def test_bad_requests_are_problems_never_crashes(
    order: httpx.AsyncClient, stand_ins: StandIns
) -> None:
    stand_ins.add_cart("cart-1", "ann")
    body = {"cart_id": "cart-1", "payment": {"card_number": CARD}}
    assert_problem(await order.post("/order/1/orders", json=body), 400, "Idempotency-Key")
    key = {"Idempotency-Key": "k"}
    assert_problem(await order.post("/order/1/orders", json={"cart_id": "c"}, headers=key), 422)
    wrong_card = {"cart_id": "cart-1", "payment": {"card_number": "4242-4242-4242"}}
    assert_problem(await order.post("/order/1/orders", json=wrong_card, headers=key), 422, "digits")
    guest = {**key, **identity_headers(GUEST)}
    assert_problem(await order.post("/order/1/orders", json=body, headers=guest), 403, "sign in")
    assert_problem(await order.get("/order/1/orders/nope"), 404, "no order 'nope' of yours")


async def test_customers_see_only_their_own_orders_and_marketing_sees_them_all(
    order: httpx.AsyncClient, stand_ins: StandIns
) -> None:
    stand_ins.add_cart("cart-1", "ann")
    stand_ins.add_cart("cart-b", "bob")
    anns = (await place(order)).json()["id"]
    bobs = (await place(order, "cart-b", as_=BOB)).json()["id"]
    bob, jenn = identity_headers(BOB), identity_headers(JENN)
    assert_problem(await order.get(f"/order/1/orders/{anns}", headers=bob), 404)
    assert (await order.get(f"/order/1/orders/{anns}", headers=jenn)).status_code == 200
    mine = (await order.get("/order/1/orders", headers=bob)).json()["items"]
    assert [o["id"] for o in mine] == [bobs]
    theirs = await order.get("/order/1/orders", params={"customer": "ann"}, headers=jenn)
    assert [o["id"] for o in theirs.json()["items"]] == [anns]
    assert_problem(await order.get("/order/1/orders", params={"customer": "ann"}, headers=bob), 403)
    assert_problem(await order.post(f"/order/1/orders/{anns}/cancel", headers=bob), 404)


async def status_of(order: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    reply = await order.get(f"/order/1/orders/{order_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def test_reserved_stock_and_a_captured_payment_confirm_the_order_once(
    order_on_both: httpx.AsyncClient, stand_ins: StandIns, facts: Facts, event_probe: EventProbe
) -> None:
    order = order_on_both
    stand_ins.add_cart("cart-1", "ann")
    order_id = (await place(order)).json()["id"]
    await facts.publish("inventory.stock_reserved.v1", order_id, {"lines": [], "expires_at": "x"})
    await facts.publish("payment.authorized.v1", order_id, {"amount": usd(2000)})
    for _ in range(2):  # a webhook that arrives twice becomes two events
        await facts.publish("payment.captured.v1", order_id, {"amount": usd(2000)})
    confirmed = await event_probe.expect("order.confirmed", subject=order_id)
    assert confirmed.data["total"] == usd(2000)

    async def settled() -> bool:
        body = await status_of(order, order_id)
        return (body["status"], body["payment_status"], body["fulfillment_status"]) == (
            "confirmed",
            "paid",
            "reserved",
        )

    await eventually(settled, message="order confirmed, paid and reserved")
    await facts.publish("payment.declined.v1", order_id, {"reason": "late"})  # changes nothing
    await facts.publish("inventory.stock_reserved.v1", order_id, {})
    await eventually(lambda: _consumed(order, 6))
    assert (await status_of(order, order_id))["status"] == "confirmed"
    assert len(event_probe.matching("order.confirmed")) == 1


async def _consumed(order: httpx.AsyncClient, count: int) -> bool:
    metrics: str = (await order.get("/metrics")).text
    processed = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("bazaar_events_consumed_total") and 'outcome="processed"' in line
    ]
    return sum(processed) >= count


@pytest.mark.parametrize(
    ("type", "data", "reason", "payment"),
    [
        ("inventory.reservation_failed.v1", {"sku": "COF-1", "requested": 2, "available": 1},
         "out of stock: COF-1 (available 1)", "pending"),
        ("payment.declined.v1", {"reason": "card declined"},
         "payment declined: card declined", "failed"),
        ("promotion.code_refused.v1", {"code": "WELCOME", "reason": "used up"},
         "discount code WELCOME: used up", "pending"),
        ("inventory.reservation_expired.v1", {}, "reservation expired", "pending"),
    ],
)  # fmt: skip
async def test_each_failure_cancels_the_open_order_with_a_reason(
    order: httpx.AsyncClient,
    stand_ins: StandIns,
    facts: Facts,
    event_probe: EventProbe,
    type: str,
    data: dict[str, Any],
    reason: str,
    payment: str,
) -> None:
    stand_ins.add_cart("cart-1", "ann")
    order_id = (await place(order)).json()["id"]
    await facts.publish(type, order_id, data)
    cancelled = await event_probe.expect("order.cancelled", subject=order_id)
    assert (cancelled.data["reason"], cancelled.data["payment_status"]) == (reason, payment)
    body = await status_of(order, order_id)
    assert (body["status"], body["reason"], body["payment_status"]) == (
        "cancelled",
        reason,
        payment,
    )


async def test_the_owner_cancels_a_paid_order_and_its_refund_is_recorded(
    order_on_both: httpx.AsyncClient, stand_ins: StandIns, facts: Facts, event_probe: EventProbe
) -> None:
    order = order_on_both
    stand_ins.add_cart("cart-1", "ann")
    order_id = (await place(order)).json()["id"]
    await facts.publish("payment.captured.v1", order_id, {"amount": usd(2000)})
    await event_probe.expect("order.confirmed", subject=order_id)
    reply = await order.post(f"/order/1/orders/{order_id}/cancel")
    assert reply.status_code == 200, reply.text
    assert (reply.json()["status"], reply.json()["reason"]) == (
        "cancelled",
        "cancelled by customer",
    )
    cancelled = await event_probe.expect("order.cancelled", subject=order_id)
    assert cancelled.data["payment_status"] == "paid"
    await facts.publish("payment.refunded.v1", order_id, {"amount": usd(2000)})

    async def refunded() -> bool:
        return bool((await status_of(order, order_id))["payment_status"] == "refunded")

    await eventually(refunded, message="refund recorded")


async def test_a_recall_cancels_the_unshipped_orders_with_the_sku_once_and_says_why(
    order_on_both: httpx.AsyncClient, stand_ins: StandIns, facts: Facts, event_probe: EventProbe
) -> None:
    order = order_on_both
    stand_ins.add_cart("cart-1", "ann")
    stand_ins.add_cart("cart-2", "ann")
    stand_ins.carts["cart-2"]["lines"][0]["sku"] = "TEA-1"
    coffee = (await place(order, "cart-1", key="k-1")).json()["id"]
    tea = (await place(order, "cart-2", key="k-2")).json()["id"]
    await add_streams(facts.js, "product")
    recalled = {"sku": "COF-1", "name": "Coffee", "status": "recalled", "reason": "glass"}

    await publish(facts.js, "product.recalled.v1", subject="COF-1", data=recalled, sequence=2)

    cancelled = await event_probe.expect("order.cancelled", subject=coffee)
    assert cancelled.data["reason"] == "product recalled: COF-1 (glass)"
    assert (await status_of(order, coffee))["status"] == "cancelled"
    await publish(facts.js, "product.recalled.v1", subject="COF-1", data=recalled, sequence=3)
    await publish(
        facts.js, "product.recalled.v1", subject="TEA-1", data={**recalled, "sku": "TEA-1"}
    )
    await event_probe.expect("order.cancelled", subject=tea)
    assert len(event_probe.matching("order.cancelled", subject=coffee)) == 1


@pytest.mark.each_database
async def test_a_cart_id_holding_a_nul_character_is_refused_naming_it_and_nothing_is_ordered(
    order: httpx.AsyncClient, stand_ins: StandIns
) -> None:
    stand_ins.add_cart("cart\u00001", "ann")  # PostgreSQL's text types cannot hold U+0000
    assert_problem(await place(order, "cart\u00001"), 422, "cart_id")
    assert (await order.get("/order/1/orders")).json()["items"] == []


@pytest.mark.each_database
async def test_a_customer_holding_a_nul_character_is_refused_naming_it(
    order: httpx.AsyncClient,
) -> None:
    jenn = identity_headers(JENN)  # PostgreSQL cannot compare text with U+0000
    reply = await order.get("/order/1/orders", params={"customer": "ann\u0000"}, headers=jenn)
    assert_problem(reply, 422, "query.customer: Value error, must not contain the NUL character")
