"""Two payment instances on one database race for the same orders, every fact delivered twice:
each order is still charged exactly once (the ledger's unique (order, kind), the worker's
conditional claim and the provider's idempotency keys), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

from bazaar_chassis.testing import serving
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
