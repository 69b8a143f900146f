"""Payment under concurrency and crashes, on SQLite and PostgreSQL: two instances racing for the
same orders with every fact delivered twice, and an instance killed mid-payment. Each order is
still charged exactly once (the ledger's unique (order, kind), the worker's conditional claim,
the provider's idempotency keys and its webhook retries)."""

from __future__ import annotations

import asyncio
import uuid

from bazaar_chassis.testing import eventually, served_client, serving
from bazaar_payment.service import build_app

from .conftest import Checkout, placed

ORDERS = 8


async def test_two_instances_and_duplicate_facts_still_charge_each_order_once(
    checkout: Checkout,
) -> None:
    second = checkout.settings.model_copy(update={"instance_id": uuid.uuid4().hex[:12]})
    async with serving(lambda s: build_app(s, checkout.payment_settings), second):
        cards = [
            await checkout.card("4242424242424242"),
            await checkout.card("4000000000000119"),  # fails once per key, then succeeds
        ]
        orders = [str(uuid.uuid4()) for _ in range(ORDERS)]
        for number, order_id in enumerate(orders):
            data = placed(order_id, cards[number % 2], 1000 + number, [])
            for _ in range(2):
                await checkout.publish("order.placed.v1", order_id, data)
                await checkout.reserve(order_id)
        await asyncio.gather(
            *(checkout.probe.expect("payment.captured", subject=o, timeout=20) for o in orders)
        )
        for order_id in orders:
            charges = await checkout.charges(order_id)
            assert [c["status"] for c in charges] == ["succeeded"], order_id
            assert len(checkout.probe.matching("payment.captured", subject=order_id)) == 1
            ledger = (await checkout.state(order_id))["transactions"]
            assert [(t["kind"], t["status"]) for t in ledger] == [
                ("authorize", "succeeded"),
                ("capture", "succeeded"),
            ]


async def test_a_payment_killed_mid_payment_is_finished_by_the_next_instance_charging_once(
    checkout: Checkout,
) -> None:
    order_id = await checkout.place(await checkout.card("4000000000000077"))  # 3 s to answer
    await checkout.reserve(order_id)
    await eventually(lambda: _authorization_sent(checkout, order_id))
    await checkout.instance.crash()  # like kill -9: the provider's webhook now fails
    restarted = checkout.settings.model_copy(update={"instance_id": uuid.uuid4().hex[:12]})
    async with (
        serving(lambda s: build_app(s, checkout.payment_settings), restarted) as served,
        served_client(served.url) as payment,
    ):
        checkout.payment = payment  # webhooks are now forwarded here, as the gateway would
        await checkout.probe.expect("payment.captured", subject=order_id, timeout=30)
        assert [c["status"] for c in await checkout.charges(order_id)] == ["succeeded"]
        assert len(checkout.probe.matching("payment.captured", subject=order_id)) == 1


async def _authorization_sent(checkout: Checkout, order_id: str) -> bool:
    ledger = (await checkout.state(order_id)).get("transactions", [])
    return bool(ledger) and ledger[0]["status"] == "sent"
