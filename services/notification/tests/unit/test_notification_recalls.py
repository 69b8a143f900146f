"""Recall notices on fakes: exactly the buyers of the SKU are told, once, whichever of the
recall and the purchase arrives first."""

from __future__ import annotations

from datetime import UTC, datetime

from bazaar_chassis.testing import FakeUnits
from bazaar_notification import recalls
from bazaar_notification.domain import Message, Purchase
from bazaar_notification.events import OrderConfirmed

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeRecalls:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.purchases: dict[tuple[str, str], Purchase] = {}
        self.recalled: dict[str, str] = {}

    async def add(self, message: Message) -> bool:
        if any(m.event_id == message.event_id for m in self.messages):
            return False
        self.messages.append(message)
        return True

    async def add_purchase(self, purchase: Purchase) -> None:
        self.purchases.setdefault((purchase.sku, purchase.recipient), purchase)

    async def buyers(self, sku: str) -> list[Purchase]:
        return sorted(
            (p for (s, _), p in self.purchases.items() if s == sku), key=lambda p: p.recipient
        )

    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool:
        if sku in self.recalled:
            return False
        self.recalled[sku] = reason
        return True

    async def recall_reason(self, sku: str) -> str | None:
        return self.recalled.get(sku)


def confirmed(who: str, order_id: str, *skus: str) -> OrderConfirmed:
    return OrderConfirmed.model_validate(
        {
            "order_id": order_id,
            "customer": {"subject": who, "email": f"{who}@bazaar.test"},
            "lines": [{"sku": sku, "name": sku.title(), "quantity": 1} for sku in skus],
            "total": {"amount": 100, "currency": "USD"},
        }
    )


async def buy(units: FakeUnits[FakeRecalls], who: str, order_id: str, *skus: str) -> None:
    await recalls.remember_purchases(
        store=units.store, confirmed=confirmed(who, order_id, *skus), send=False, clock=lambda: NOW
    )


async def recall(units: FakeUnits[FakeRecalls], sku: str, reason: str) -> list[str] | None:
    async with units() as work:
        return await recalls.notify_recall(
            work=work, sku=sku, reason=reason, sequence=2, send=False, clock=lambda: NOW
        )


async def test_every_buyer_of_the_sku_is_told_and_nobody_else() -> None:
    units = FakeUnits(FakeRecalls())
    await buy(units, "ann", "o-1", "KETTLE-1", "TEA-1")
    await buy(units, "bob", "o-2", "KETTLE-1")
    await buy(units, "bob", "o-3", "KETTLE-1")  # bought twice: told once
    await buy(units, "cat", "o-4", "TEA-1")

    told = await recall(units, "KETTLE-1", "may overheat")

    assert told == ["ann", "bob"]
    assert sorted(m.recipient for m in units.store.messages) == ["ann", "bob"]
    ann = next(m for m in units.store.messages if m.recipient == "ann")
    assert (ann.kind, ann.to, ann.order_id) == ("product_recalled", "ann@bazaar.test", "o-1")
    assert "may overheat" in ann.body
    [event] = units.published
    assert (event.type, event.subject) == ("notification.recall_notices_sent.v1", "KETTLE-1")
    assert event.data == {"sku": "KETTLE-1", "reason": "may overheat", "recipients": ["ann", "bob"]}


async def test_a_second_recall_of_the_sku_sends_nothing_more() -> None:
    units = FakeUnits(FakeRecalls())
    await buy(units, "ann", "o-1", "KETTLE-1")
    await recall(units, "KETTLE-1", "first")
    units.published.clear()

    assert await recall(units, "KETTLE-1", "second") is None
    assert len(units.store.messages) == 1
    assert units.published == []


async def test_a_purchase_confirmed_after_the_recall_gets_its_notice_at_once() -> None:
    units = FakeUnits(FakeRecalls())
    await recall(units, "KETTLE-1", "may overheat")
    await buy(units, "dan", "o-9", "KETTLE-1")
    await buy(units, "dan", "o-9", "KETTLE-1")  # told again: still one notice

    assert [(m.recipient, m.kind) for m in units.store.messages] == [("dan", "product_recalled")]
