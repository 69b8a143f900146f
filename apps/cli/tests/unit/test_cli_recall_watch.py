"""Which facts `bazaar recall` counts as the recall's reactions, and how it words them."""

from __future__ import annotations

import time

from bazaar_chassis import Event
from bazaar_cli.recall import Reaction, RecallWatch, describe

TRACE = "0af7651916cd43dd8448eb211c80319c"


def a_watch(shown: list[Reaction]) -> RecallWatch:
    return RecallWatch("KET-1", TRACE, time.monotonic(), shown.append, [], set(), 0.0)


def event(type: str, subject: str, data: dict[str, object], trace: str | None = None) -> Event:
    parent = f"00-{trace}-b7ad6b7169203331-01" if trace else None
    return Event(type=type, subject=subject, sequence=1, data=data, source="/t", traceparent=parent)


async def test_a_fact_of_the_recalls_trace_or_about_its_sku_is_shown() -> None:
    shown: list[Reaction] = []
    watch = a_watch(shown)
    traced = event("order.cancelled.v1", "o-1", {"order_id": "o-1", "reason": "r"}, TRACE)
    assert watch.belongs(traced)
    assert watch.belongs(event("inventory.stock_quarantined.v1", "KET-1", {}))
    assert not watch.belongs(event("inventory.stock_quarantined.v1", "TEA-1", {}, "f" * 32))


async def test_a_payment_fact_about_a_cancelled_order_belongs_even_without_the_trace() -> None:
    shown: list[Reaction] = []
    watch = a_watch(shown)

    class Message:
        def __init__(self, e: Event) -> None:
            self.data = e.to_json()

    cancelled = event("order.cancelled.v1", "o-1", {"order_id": "o-1", "reason": "recalled"}, TRACE)
    await watch.on_message(Message(cancelled))  # type: ignore[arg-type]
    await watch.on_message(Message(event("payment.refunded.v1", "o-1", {})))  # type: ignore[arg-type]
    await watch.on_message(Message(event("payment.refunded.v1", "o-2", {})))  # type: ignore[arg-type]

    assert [(r.service, r.event) for r in shown] == [
        ("order", "order.cancelled"),
        ("payment", "payment.refunded"),
    ]
    assert shown[0].detail == "order o-1: recalled"


def test_each_reaction_is_worded_by_what_it_did() -> None:
    quarantined = event(
        "inventory.stock_quarantined.v1", "KET-1", {"on_hand": 8, "released": [{}, {}]}
    )
    assert describe(quarantined) == "on hand 8 kept, 2 reservation(s) released"
    sent = event("notification.recall_notices_sent.v1", "KET-1", {"recipients": ["a", "b"]})
    assert describe(sent) == "2 buyer(s) notified"
