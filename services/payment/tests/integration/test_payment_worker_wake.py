"""The provider worker starts on work as soon as the commit that created it is done: with its
safety-net poll set to an hour, a checkout still completes, so a commit must have woken it."""

from __future__ import annotations

import pytest

from .conftest import Checkout


@pytest.fixture
def worker_poll_seconds() -> float:
    return 3600.0  # never within the test: only a commit's wake can start a round


async def test_a_consumed_order_is_charged_without_waiting_for_the_workers_poll(
    checkout: Checkout,
) -> None:
    order_id = await checkout.place(await checkout.card("4242424242424242"))
    await checkout.reserve(order_id)
    await checkout.probe.expect("payment.captured", subject=order_id, timeout=10)
    shown = await checkout.state(order_id)
    assert [(t["kind"], t["status"]) for t in shown["transactions"]] == [
        ("authorize", "succeeded"),
        ("capture", "succeeded"),
    ]
