"""Payment end to end with the real test provider process (in-process on a real port), real
NATS and SQLite/PostgreSQL: every test card, duplicate and late facts and webhooks, cancellations
before and after the money moved, and who may see a payment."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from bazaar_chassis import Caller
from bazaar_chassis.caller import GUEST
from bazaar_chassis.testing import assert_problem, eventually, identity_headers

from .conftest import ORDER, OTHER, SECRET, SHOPPER, WEBHOOK_PATH, Checkout, placed, signed


async def test_a_good_card_is_authorized_then_captured_once(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await checkout.reserve(order_id)
    captured = await checkout.probe.expect("payment.captured", subject=order_id)
    authorized = checkout.probe.matching("payment.authorized", subject=order_id)
    assert captured.data["amount"] == {"amount": 2500, "currency": "USD"}
    assert [e.data["order_id"] for e in authorized] == [order_id]
    shown = (await checkout.payment_of(order_id)).json()
    assert shown["state"] == "captured"
    assert [(t["kind"], t["status"]) for t in shown["transactions"]] == [
        ("authorize", "succeeded"),
        ("capture", "succeeded"),
    ]
    assert shown["transactions"][0]["idempotency_key"] == f"{order_id}:authorize"
    assert [c["status"] for c in await checkout.charges(order_id)] == ["succeeded"]


async def test_an_order_total_past_32_bits_is_captured_in_full(checkout: Checkout) -> None:
    amount = 3 * 10**11  # three items at pricing's largest price: past a 32-bit integer column
    order_id = await checkout.place(await checkout.card("4242424242424242"), amount=amount)
    await checkout.reserve(order_id)
    captured = await checkout.probe.expect("payment.captured", subject=order_id)
    assert captured.data["amount"] == {"amount": amount, "currency": "USD"}
    assert [t["amount"] for t in (await checkout.state(order_id))["transactions"]] == [amount] * 2


async def test_a_declined_card_is_announced_with_its_reason(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000002"))
    await checkout.reserve(order_id)
    declined = await checkout.probe.expect("payment.declined", subject=order_id)
    assert declined.data == {"order_id": order_id, "reason": "your card was declined"}
    assert (await checkout.state(order_id))["state"] == "declined"
    assert checkout.probe.matching("payment.captured", subject=order_id) == []


async def test_a_slow_card_still_completes(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000077"))
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id, timeout=15)


async def test_a_transiently_failing_card_completes_with_exactly_one_charge(
    checkout: Checkout,
) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000119"))
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id)
    assert len(await checkout.charges(order_id)) == 1
    authorize = (await checkout.state(order_id))["transactions"][0]
    assert (authorize["kind"], authorize["attempts"]) == ("authorize", 1)


async def test_the_same_order_placed_twice_is_charged_once(checkout: Checkout) -> None:
    card = await checkout.card("4242424242424242")
    order_id = await checkout.place(card)
    await checkout.publish("order.placed.v1", order_id, placed(order_id, card, 2500, []))
    await checkout.reserve(order_id)
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id)
    assert len(await checkout.charges(order_id)) == 1
    assert len(checkout.probe.matching("payment.captured", subject=order_id)) == 1
    assert len((await checkout.state(order_id))["transactions"]) == 2


async def test_a_replayed_or_out_of_order_webhook_changes_nothing(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id)
    before = await checkout.state(order_id)
    delivered = {  # an event the provider had to retry counts once
        body: headers
        for headers, body in checkout.webhooks
        if orjson.loads(body)["data"]["object"]["metadata"]["order_id"] == order_id
    }
    assert len(delivered) == 2  # authorized, captured
    for body, headers in reversed(delivered.items()):  # every event again, captured first
        replay = await checkout.payment.post(
            WEBHOOK_PATH, content=body, headers={**headers, **identity_headers(GUEST)}
        )
        assert replay.json()["outcome"] == "duplicate"
    late_void = signed("payment_intent.canceled", order_id)  # never asked for
    reply = await checkout.payment.post(WEBHOOK_PATH, content=late_void[1], headers=late_void[0])
    assert reply.json()["outcome"] == "unknown"
    assert await checkout.state(order_id) == before
    assert len(checkout.probe.matching("payment.captured", subject=order_id)) == 1


@pytest.mark.parametrize(
    ("secret", "age", "detail"),
    [("forged", 0, "does not match"), (SECRET, 3600, "tolerance")],
)
async def test_a_forged_or_stale_webhook_is_refused_with_401(
    checkout: Checkout, secret: str, age: int, detail: str
) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000077"))
    await checkout.reserve(order_id)
    headers, body = signed("payment_intent.declined", order_id, secret=secret, at=time.time() - age)
    reply = await checkout.payment.post(WEBHOOK_PATH, content=body, headers=headers)
    assert_problem(reply, 401, detail)
    unsigned = await checkout.payment.post(
        WEBHOOK_PATH, content=body, headers=identity_headers(GUEST)
    )
    assert_problem(unsigned, 401, "Provider-Signature")


async def test_an_order_cancelled_before_it_was_charged_is_never_charged(
    checkout: Checkout,
) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await checkout.cancel(order_id)
    await eventually(lambda: _in_state(checkout, order_id, "cancelled"))
    await checkout.reserve(order_id)  # comes after the cancellation: must not charge

    async def stock_seen_and_cancelled() -> dict[str, Any] | None:
        shown = await checkout.state(order_id)
        return shown if shown.get("waiting_for") == [] else None

    shown = await eventually(stock_seen_and_cancelled, message="stock fact not applied")
    assert (shown["state"], shown["transactions"]) == ("cancelled", [])  # nothing can be sent
    assert await checkout.charges(order_id) == []


async def test_an_order_cancelled_after_capture_is_refunded(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id)
    await checkout.cancel(order_id)
    refunded = await checkout.probe.expect("payment.refunded", subject=order_id)
    assert refunded.data["amount"] == {"amount": 2500, "currency": "USD"}
    shown = await checkout.state(order_id)
    assert shown["state"] == "refunded"
    assert [t["kind"] for t in shown["transactions"]] == ["authorize", "capture", "refund"]


async def test_an_order_cancelled_while_its_authorization_is_pending_is_voided(
    checkout: Checkout,
) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000077"))  # 3 s to answer
    await checkout.reserve(order_id)
    await eventually(lambda: _sent(checkout, order_id), message="authorization not sent")
    await checkout.cancel(order_id)
    await checkout.probe.expect("payment.voided", subject=order_id, timeout=15)
    assert checkout.probe.matching("payment.captured", subject=order_id) == []
    assert [c["status"] for c in await checkout.charges(order_id)] == ["canceled"]


async def _in_state(checkout: Checkout, order_id: str, state: str) -> bool:
    return (await checkout.state(order_id)).get("state") == state


async def _sent(checkout: Checkout, order_id: str) -> bool:
    transactions = (await checkout.state(order_id)).get("transactions", [])
    return bool(transactions) and transactions[0]["status"] == "sent"


async def test_a_payment_is_shown_to_its_customer_and_admins_only(checkout: Checkout) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await eventually(lambda: _placed(checkout, order_id))
    assert (await checkout.payment_of(order_id, SHOPPER)).status_code == 200
    assert_problem(await checkout.payment_of(order_id, OTHER), 404, order_id)
    assert_problem(await checkout.payment_of("no-such-order"), 404, "no-such-order")


async def _placed(checkout: Checkout, order_id: str) -> bool:
    return (await checkout.payment_of(order_id)).status_code == 200


@pytest.mark.parametrize(
    ("caller", "card", "status", "detail"),
    [
        (ORDER, "4242424242424241", 422, "Luhn"),
        (ORDER, "42", 422, "12 to 19"),
        (ORDER, "²" * 16, 422, "12 to 19"),  # a digit to str.isdigit, not to int()
        (SHOPPER, "4242424242424242", 403, "order service"),
    ],
)
async def test_only_the_order_service_tokenises_and_only_valid_cards(
    checkout: Checkout, caller: Caller, card: str, status: int, detail: str
) -> None:
    reply = await checkout.payment.post(
        "/payment/1/methods", json={"card_number": card}, headers=identity_headers(caller)
    )
    assert_problem(reply, status, detail)
