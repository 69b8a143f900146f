"""Notification use cases on fakes: one message per event, who reads what, and the sender's
delivery, retries with back-off and giving up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bazaar_chassis import Caller, Forbidden
from bazaar_chassis.testing import FakeUnits
from bazaar_notification import use_cases
from bazaar_notification.domain import Delivery, Message, MessageQuery, RetryPolicy
from bazaar_notification.events import Total
from bazaar_notification.templates import TEMPLATES, money

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, base_seconds=2.0, max_seconds=3.0)
SAM = Caller(subject="u-sam", kind="user", organization="public", roles=("customer",),
             email="sam@bazaar.test")  # fmt: skip
OPERATOR = Caller(subject="u-op", kind="user", organization="bazaar", roles=("operator",))


class FakeMessageStore:
    """The `Messages` protocol over a dict, with the unique event id and the claim check."""

    def __init__(self) -> None:
        self.rows: dict[str, Message] = {}

    async def add(self, message: Message) -> bool:
        if any(m.event_id == message.event_id for m in self.rows.values()):
            return False
        self.rows[message.id] = message
        return True

    async def get(self, message_id: str) -> Message | None:
        return self.rows.get(message_id)

    async def page(
        self, query: MessageQuery, *, limit: int, offset: int
    ) -> tuple[int, list[Message]]:
        found = [
            m
            for m in self.rows.values()
            if (query.recipient is None or m.recipient == query.recipient)
            and (query.to is None or m.to == query.to)
        ]
        found.sort(key=lambda m: m.sent_at, reverse=True)
        return len(found), found[offset : offset + limit]

    async def due(self, *, now: datetime, limit: int) -> list[Message]:
        return [
            m
            for m in self.rows.values()
            if m.delivery == Delivery.PENDING and m.next_attempt_at and m.next_attempt_at <= now
        ][:limit]

    async def claim(self, message: Message, *, until: datetime) -> bool:
        stored = self.rows[message.id]
        if stored.next_attempt_at != message.next_attempt_at:
            return False
        self.rows[message.id] = replace(stored, next_attempt_at=until)
        return True

    async def record_attempt(self, message: Message) -> None:
        self.rows[message.id] = message


class FakeMailer:
    """Fails the first `failures` sends, then accepts; remembers what it accepted."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("smtp down")
        self.sent.append(message)


def confirmed(order_id: str = "o-1", email: str = "sam@bazaar.test") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": {"subject": "u-sam", "email": email},
        "lines": [{"sku": "COF-1", "name": "Coffee", "quantity": 2, "unit_price": {}}],
        "total": {"amount": 1250, "currency": "USD"},
        "confirmed_at": "2026-03-01T12:00:00Z",
        "unknown_field": "ignored",
    }


async def notice(store: FakeMessageStore, event_id: str, *, send: bool = False) -> bool:
    return await use_cases.record_notice(
        store=store,
        event_id=event_id,
        notice=TEMPLATES["order.confirmed"](confirmed()),
        send=send,
        clock=lambda: NOW,
    )


async def deliver(units: FakeUnits[Any], mailer: FakeMailer, at: datetime) -> int:
    return await use_cases.deliver_due(
        units=units,
        mailer=mailer,
        retry=RETRY,
        lease=timedelta(seconds=60),
        batch=10,
        clock=lambda: at,
    )


def test_the_templates_word_a_confirmation_and_a_cancellation_with_the_money() -> None:
    yes = TEMPLATES["order.confirmed"](confirmed())
    assert (yes.kind, yes.to, yes.order_id) == ("order_confirmed", "sam@bazaar.test", "o-1")
    assert "o-1" in yes.subject
    assert "2 x Coffee (COF-1)" in yes.body
    assert "12.50 USD" in yes.body
    no = TEMPLATES["order.cancelled"](
        {**confirmed(), "reason": "out of stock: COF-1 (available 0)", "payment_status": "failed"}
    )
    assert "cancelled" in no.subject
    assert "out of stock: COF-1 (available 0)" in no.body
    assert money(Total(amount=5, currency="EUR")) == "0.05 EUR"


async def test_one_event_makes_exactly_one_message() -> None:
    store = FakeMessageStore()
    assert await notice(store, "ev-1")
    assert not await notice(store, "ev-1")
    [message] = store.rows.values()
    assert (message.delivery, message.sent_at, message.next_attempt_at) == (
        Delivery.STORED,
        NOW,
        None,
    )


async def test_a_customer_reads_their_own_messages_and_not_someone_elses_address() -> None:
    units = FakeUnits(FakeMessageStore())
    await notice(units.store, "ev-1")
    total, [mine] = await use_cases.list_messages(
        reads=units.reads, caller=SAM, to=None, limit=10, offset=0
    )
    assert (total, mine.to) == (1, "sam@bazaar.test")
    with pytest.raises(Forbidden, match="admins and operators"):
        await use_cases.list_messages(
            reads=units.reads, caller=SAM, to="other@bazaar.test", limit=10, offset=0
        )
    stranger = replace(SAM, subject="u-other", email="other@bazaar.test")
    total, _ = await use_cases.list_messages(
        reads=units.reads, caller=stranger, to=None, limit=10, offset=0
    )
    assert total == 0


async def test_an_operator_reads_any_address() -> None:
    units = FakeUnits(FakeMessageStore())
    await notice(units.store, "ev-1")
    total, [found] = await use_cases.list_messages(
        reads=units.reads, caller=OPERATOR, to="sam@bazaar.test", limit=10, offset=0
    )
    assert (total, found.to) == (1, "sam@bazaar.test")


async def test_the_sender_delivers_a_pending_message_once() -> None:
    units = FakeUnits(FakeMessageStore())
    await notice(units.store, "ev-1", send=True)
    mailer = FakeMailer()
    assert await deliver(units, mailer, NOW) == 1
    assert await deliver(units, mailer, NOW + timedelta(hours=1)) == 0
    [message] = units.store.rows.values()
    assert (message.delivery, message.delivered_at, message.attempts) == (
        Delivery.DELIVERED,
        NOW,
        1,
    )
    assert len(mailer.sent) == 1


async def test_a_failed_send_waits_a_doubling_back_off_then_gives_up() -> None:
    units = FakeUnits(FakeMessageStore())
    await notice(units.store, "ev-1", send=True)
    mailer = FakeMailer(failures=10)
    await deliver(units, mailer, NOW)
    [message] = units.store.rows.values()
    assert (message.attempts, message.next_attempt_at) == (1, NOW + timedelta(seconds=2))
    assert "smtp down" in message.last_error
    assert await deliver(units, mailer, NOW + timedelta(seconds=1)) == 0  # not due yet
    assert units.store.rows[message.id].attempts == 1
    await deliver(units, mailer, NOW + timedelta(seconds=2))
    second = units.store.rows[message.id]
    assert (second.attempts, second.next_attempt_at) == (2, NOW + timedelta(seconds=5))  # capped
    await deliver(units, mailer, NOW + timedelta(seconds=5))
    assert units.store.rows[message.id].delivery == Delivery.FAILED
    assert mailer.sent == []


class RacingStore(FakeMessageStore):
    """Another sender claims every message right after this one has read it as due."""

    async def due(self, *, now: datetime, limit: int) -> list[Message]:
        found = await super().due(now=now, limit=limit)
        for message in found:
            assert await self.claim(message, until=now + timedelta(minutes=1))
        return found


async def test_a_message_another_sender_claimed_in_the_meantime_is_not_sent_twice() -> None:
    units = FakeUnits(RacingStore())
    await notice(units.store, "ev-1", send=True)
    mailer = FakeMailer()
    assert await deliver(units, mailer, NOW) == 0
    assert mailer.sent == []
    [message] = units.store.rows.values()
    assert (message.delivery, message.attempts) == (Delivery.PENDING, 0)
