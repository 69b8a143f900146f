"""Payment use cases on an in-memory store and a fake provider: which facts charge, which never
do, and that a retried call or a repeated webhook moves no money twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import Caller, Forbidden, InvalidInput, Money, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_payment import events, sending, use_cases
from bazaar_payment.domain import Intent, Kind, PaymentMethod, State, Status, Transaction
from bazaar_payment.provider import CardToken, Notice, ProviderUnavailable

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORDER = Caller(subject="service:order", kind="service", organization="bazaar", roles=())
SHOPPER = Caller(subject="u-1", kind="user", organization="public", roles=("customer",))


class FakePayments:
    """The `Payments` protocol over dicts, with the real store's conditional updates."""

    def __init__(self) -> None:
        self.intents: dict[str, Intent] = {}
        self.transactions: dict[tuple[str, Kind], Transaction] = {}
        self.methods: dict[str, PaymentMethod] = {}

    async def intent(self, order_id: str) -> Intent | None:
        return self.intents.get(order_id)

    async def save_intent(self, intent: Intent) -> None:
        stored = self.intents.get(intent.order_id)
        if (stored.version if stored else 0) != intent.version - 1:
            raise StaleVersion(resource="payment", expected=intent.version - 1, actual=0)
        self.intents[intent.order_id] = intent

    async def transaction(self, order_id: str, kind: Kind) -> Transaction | None:
        return self.transactions.get((order_id, kind))

    async def ledger(self, order_id: str) -> list[Transaction]:
        return [t for (o, _), t in self.transactions.items() if o == order_id]

    async def add_transaction(self, transaction: Transaction) -> None:
        self.transactions.setdefault((transaction.order_id, transaction.kind), transaction)

    async def due(self, *, now: datetime, limit: int) -> list[Transaction]:
        due = [
            t
            for t in self.transactions.values()
            if t.status in (Status.PENDING, Status.SENDING) and t.next_attempt_at <= now
        ]
        return due[:limit]

    def _swap(self, transaction_id: str, allowed: set[Status], **changes: object) -> bool:
        for key, t in self.transactions.items():
            if t.id == transaction_id and t.status in allowed:
                self.transactions[key] = replace(t, **changes)  # type: ignore[arg-type]
                return True
        return False

    async def claim(self, transaction_id: str, *, now: datetime, until: datetime) -> bool:
        due = {t.id for t in await self.due(now=now, limit=1000)}
        return transaction_id in due and self._swap(
            transaction_id,
            {Status.PENDING, Status.SENDING},
            status=Status.SENDING,
            next_attempt_at=until,
        )

    async def mark_sent(self, transaction_id: str, *, provider_ref: str, now: datetime) -> bool:
        return self._swap(
            transaction_id, {Status.SENDING}, status=Status.SENT, provider_ref=provider_ref
        )

    async def retry_later(
        self, transaction: Transaction, *, at: datetime, reason: str, now: datetime
    ) -> bool:
        return self._swap(
            transaction.id,
            {Status.SENDING},
            status=Status.PENDING,
            attempts=transaction.attempts + 1,
            next_attempt_at=at,
            reason=reason,
        )

    async def settle(self, transaction_id: str, *, notice: Notice, now: datetime) -> bool:
        unsettled = {Status.PENDING, Status.SENDING, Status.SENT}
        return self._swap(transaction_id, unsettled, status=notice.status, reason=notice.reason)

    async def withdraw(self, transaction_id: str, *, reason: str, now: datetime) -> bool:
        for t in self.transactions.values():
            if t.id == transaction_id and t.attempts:
                return False
        return self._swap(transaction_id, {Status.PENDING}, status=Status.FAILED, reason=reason)

    async def add_method(self, method: PaymentMethod) -> None:
        self.methods[method.id] = method

    async def method(self, method_id: str) -> PaymentMethod | None:
        return self.methods.get(method_id)


class FakeProvider:
    """Records every call; `unavailable` calls fail transiently first."""

    def __init__(self, *, unavailable: int = 0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.unavailable = unavailable

    async def close(self) -> None:
        pass

    async def tokenize(self, card_number: str) -> CardToken:
        return CardToken(ref=f"pm_{card_number[-4:]}", brand="visa", last4=card_number[-4:])

    async def authorize(self, *, key: str, amount: Money, method_ref: str, order_id: str) -> str:
        return self._call("authorize", key) or "pi_1"

    async def capture(self, *, key: str, intent_ref: str) -> None:
        self._call("capture", key)

    async def void(self, *, key: str, intent_ref: str) -> None:
        self._call("void", key)

    async def refund(self, *, key: str, intent_ref: str, amount: Money) -> None:
        self._call("refund", key)

    def _call(self, name: str, key: str) -> str:
        self.calls.append((name, key))
        if self.unavailable:
            self.unavailable -= 1
            raise ProviderUnavailable("503")
        return ""

    def read_webhook(self, *, headers: Mapping[str, str], body: bytes, now: float) -> Notice | None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def units() -> FakeUnits[FakePayments]:
    return FakeUnits(FakePayments())


def placed(order_id: str = "o-1", *, codes: list[str] | None = None) -> events.OrderPlaced:
    return events.OrderPlaced.model_validate(
        {
            "order_id": order_id,
            "customer": {"subject": "u-1", "email": "u@x"},
            "total": {"amount": 2500, "currency": "USD"},
            "codes": codes or [],
            "payment_method_id": "m-1",
        }
    )


async def fact(
    units: FakeUnits[FakePayments], name: str, order_id: str = "o-1", **data: object
) -> None:
    async with units() as work:
        if name == "placed":
            await use_cases.order_placed(work=work, facts=placed(order_id, **data), clock=Clock())  # type: ignore[arg-type]
        elif name == "stock":
            await use_cases.stock_reserved(work=work, order_id=order_id, clock=Clock())
        elif name == "code":
            await use_cases.code_redeemed(
                work=work, order_id=order_id, code=str(data["code"]), clock=Clock()
            )
        elif name == "refused":
            await use_cases.order_refused(work=work, order_id=order_id, clock=Clock())
        else:
            await use_cases.order_cancelled(work=work, order_id=order_id, clock=Clock())


def kinds(units: FakeUnits[FakePayments], order_id: str = "o-1") -> list[Kind]:
    return [k for (o, k) in units.store.transactions if o == order_id]


async def test_an_order_is_authorized_once_its_stock_is_reserved_whatever_came_first() -> None:
    for first, second in (("placed", "stock"), ("stock", "placed")):
        units = FakeUnits(FakePayments())
        await fact(units, first)
        assert kinds(units) == []
        await fact(units, second)
        assert kinds(units) == [Kind.AUTHORIZE]
        assert units.store.intents["o-1"].state is State.AUTHORIZING


async def test_an_order_with_codes_waits_for_each_code_to_be_redeemed(
    units: FakeUnits[FakePayments],
) -> None:
    await fact(units, "placed", codes=["A", "B"])
    await fact(units, "stock")
    await fact(units, "code", code="A")
    assert kinds(units) == []
    await fact(units, "code", code="B")
    assert kinds(units) == [Kind.AUTHORIZE]


async def test_the_same_order_placed_twice_opens_one_intent_and_one_authorization(
    units: FakeUnits[FakePayments],
) -> None:
    await fact(units, "placed")
    await fact(units, "stock")
    await fact(units, "placed")
    await fact(units, "stock")
    assert kinds(units) == [Kind.AUTHORIZE]
    assert units.store.intents["o-1"].version == 3  # placed, stock, authorizing


@pytest.mark.parametrize("stop", ["refused", "cancelled"])
async def test_a_refused_or_cancelled_order_is_never_charged_even_if_its_facts_come_later(
    units: FakeUnits[FakePayments], stop: str
) -> None:
    await fact(units, stop)
    await fact(units, "placed")
    await fact(units, "stock")
    assert kinds(units) == []
    assert units.store.intents["o-1"].state is State.CANCELLED


async def test_a_cancellation_before_the_authorization_left_withdraws_it() -> None:
    units, provider = FakeUnits(FakePayments()), FakeProvider()
    await fact(units, "placed")
    await fact(units, "stock")
    await fact(units, "cancelled")
    assert (
        await sending.send_due(units=units, reads=units.reads, provider=provider, clock=Clock())
        == 0
    )
    assert provider.calls == []
    assert units.store.intents["o-1"].state is State.CANCELLED
    assert units.store.transactions[("o-1", Kind.AUTHORIZE)].status is Status.FAILED


async def test_a_transient_failure_is_retried_with_the_same_key_and_charges_once() -> None:
    units, provider, clock = FakeUnits(FakePayments()), FakeProvider(unavailable=1), Clock()
    units.store.methods["m-1"] = PaymentMethod("m-1", "visa", "4242", "pm_1", NOW)
    await fact(units, "placed")
    await fact(units, "stock")
    await sending.send_due(units=units, reads=units.reads, provider=provider, clock=clock)
    failed = units.store.transactions[("o-1", Kind.AUTHORIZE)]
    assert (failed.status, failed.attempts) == (Status.PENDING, 1)
    assert (
        await sending.send_due(units=units, reads=units.reads, provider=provider, clock=clock) == 0
    )  # backing off
    clock.now += timedelta(seconds=1)
    await sending.send_due(units=units, reads=units.reads, provider=provider, clock=clock)
    assert provider.calls == [("authorize", "o-1:authorize")] * 2
    assert units.store.transactions[("o-1", Kind.AUTHORIZE)].status is Status.SENT


async def test_a_webhook_delivered_twice_moves_the_payment_once(
    units: FakeUnits[FakePayments],
) -> None:
    await fact(units, "placed")
    await fact(units, "stock")
    notice = Notice("o-1", Kind.AUTHORIZE, True, "pi_1")
    assert await use_cases.settle(units=units, notice=notice, clock=Clock()) == "applied"
    assert await use_cases.settle(units=units, notice=notice, clock=Clock()) == "duplicate"
    assert [e.type for e in units.published] == ["payment.authorized.v1"]
    assert kinds(units) == [Kind.AUTHORIZE, Kind.CAPTURE]
    late = Notice("o-1", Kind.VOID, True, "pi_1")  # never asked for: nothing
    assert await use_cases.settle(units=units, notice=late, clock=Clock()) == "unknown"


async def test_a_declined_authorization_announces_the_reason(
    units: FakeUnits[FakePayments],
) -> None:
    await fact(units, "placed")
    await fact(units, "stock")
    notice = Notice("o-1", Kind.AUTHORIZE, False, "pi_1", reason="your card was declined")
    await use_cases.settle(units=units, notice=notice, clock=Clock())
    assert units.published[-1].data == {"order_id": "o-1", "reason": "your card was declined"}


async def test_only_the_order_service_tokenises_a_valid_card(
    units: FakeUnits[FakePayments],
) -> None:
    provider = FakeProvider()
    with pytest.raises(Forbidden):
        await use_cases.register_method(
            units=units, provider=provider, caller=SHOPPER, card_number="4242424242424242"
        )
    for bad in ("4242424242424241", "4242", "4242-4242-4242-4242", "²" * 16, "٤" * 16):
        with pytest.raises(InvalidInput):
            await use_cases.register_method(
                units=units, provider=provider, caller=ORDER, card_number=bad
            )
    method = await use_cases.register_method(
        units=units, provider=provider, caller=ORDER, card_number="4242 4242 4242 4242"
    )
    assert (method.brand, method.last4, method.provider_ref) == ("visa", "4242", "pm_4242")
