"""What the payment service does: record facts about an order's payment, ask for the provider
calls the state machine wants (as `pending` ledger rows), and settle them from its webhooks.

`sending.py` makes the calls, never inside a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bazaar_chassis import Caller, Clock, Reads, Units, Work, new_id, utc_now
from bazaar_payment import domain, events
from bazaar_payment.domain import (
    Fact,
    Intent,
    Kind,
    PaymentMethod,
    State,
    Status,
    Transaction,
)
from bazaar_payment.provider import Notice, PaymentProvider, ProviderRejected, ProviderUnavailable


class Payments(Protocol):
    """The payment store as the use cases need it (`store.PaymentStore` in production)."""

    async def intent(self, order_id: str) -> Intent | None: ...
    async def save_intent(self, intent: Intent) -> None: ...
    async def transaction(self, order_id: str, kind: Kind) -> Transaction | None: ...
    async def ledger(self, order_id: str) -> list[Transaction]: ...
    async def add_transaction(self, transaction: Transaction) -> None: ...
    async def due(self, *, now: datetime, limit: int) -> list[Transaction]: ...
    async def claim(self, transaction_id: str, *, now: datetime, until: datetime) -> bool: ...
    async def mark_sent(self, transaction_id: str, *, provider_ref: str, now: datetime) -> bool: ...
    async def retry_later(
        self, transaction: Transaction, *, at: datetime, reason: str, now: datetime
    ) -> bool: ...
    async def settle(self, transaction_id: str, *, notice: Notice, now: datetime) -> bool: ...
    async def withdraw(self, transaction_id: str, *, reason: str, now: datetime) -> bool: ...
    async def add_method(self, method: PaymentMethod) -> None: ...
    async def method(self, method_id: str) -> PaymentMethod | None: ...


# --- cards ----------------------------------------------------------------------------------


async def register_method(
    *,
    units: Units[Payments],
    provider: PaymentProvider,
    caller: Caller,
    card_number: str,
    clock: Clock = utc_now,
) -> PaymentMethod:
    """Tokenise a card at the provider; keep only its brand, last four digits and token."""
    if caller.subject != "service:order" and not caller.is_admin:
        raise domain.OnlyTheOrderService()
    number = domain.check_card_number(card_number)
    try:
        token = await provider.tokenize(number)
    except ProviderUnavailable as exc:
        raise domain.ProviderDown(str(exc)) from exc
    except ProviderRejected as exc:
        raise domain.CardRefused(str(exc)) from exc
    method = PaymentMethod(
        id=new_id(),
        brand=token.brand,
        last4=token.last4,
        provider_ref=token.ref,
        created_at=clock(),
    )
    async with units() as work:
        await work.store.add_method(method)
    return method


# --- facts from the bus ---------------------------------------------------------------------


async def order_placed(
    *, work: Work[Payments], facts: events.OrderPlaced, clock: Clock = utc_now
) -> None:
    """Open the intent: the amount, the card, and what it waits for (stock, each code)."""

    def placing(intent: Intent) -> Intent | None:
        if intent.placed:
            return None  # the same order placed twice: one intent
        return domain.moved(
            intent,
            now=clock(),
            placed=True,
            customer=facts.customer.subject,
            amount=facts.total.amount,
            currency=facts.total.currency,
            payment_method_id=facts.payment_method_id,
            codes_awaited=sorted(set(facts.codes)),
        )

    await _record(work=work, order_id=facts.order_id, change=placing, clock=clock)


async def stock_reserved(*, work: Work[Payments], order_id: str, clock: Clock = utc_now) -> None:
    def ticking(intent: Intent) -> Intent | None:
        return (
            None
            if intent.stock_reserved
            else domain.moved(intent, now=clock(), stock_reserved=True)
        )

    await _record(work=work, order_id=order_id, change=ticking, clock=clock)


async def code_redeemed(
    *, work: Work[Payments], order_id: str, code: str, clock: Clock = utc_now
) -> None:
    def ticking(intent: Intent) -> Intent | None:
        if code in intent.codes_redeemed:
            return None
        redeemed = sorted({*intent.codes_redeemed, code})
        return domain.moved(intent, now=clock(), codes_redeemed=redeemed)

    await _record(work=work, order_id=order_id, change=ticking, clock=clock)


async def order_refused(*, work: Work[Payments], order_id: str, clock: Clock = utc_now) -> None:
    """Stock or a code was refused (or the reservation expired): an open intent never charges."""
    await _record(work=work, order_id=order_id, fact=Fact.REFUSED, clock=clock)


async def order_cancelled(*, work: Work[Payments], order_id: str, clock: Clock = utc_now) -> None:
    """Void if authorized, refund if captured, nothing if not charged (and never later)."""
    await _record(work=work, order_id=order_id, fact=Fact.CANCELLED, clock=clock)


async def _record(
    *,
    work: Work[Payments],
    order_id: str,
    change: Callable[[Intent], Intent | None] = lambda _intent: None,
    fact: Fact | None = None,
    clock: Clock,
) -> None:
    now = clock()
    intent = await work.store.intent(order_id) or domain.blank_intent(order_id, now=now)
    changed = change(intent)
    if changed is not None:
        intent = changed
        await work.store.save_intent(intent)
    if fact is None and intent.state is State.OPEN and intent.ready:
        fact = Fact.READY
    if fact is not None:
        await _advance(work=work, intent=intent, fact=fact, reason=None, clock=clock)


async def _advance(
    *, work: Work[Payments], intent: Intent, fact: Fact, reason: str | None, clock: Clock
) -> Intent:
    """Apply one fact: the next state, the provider call it asks for, the event it announces."""
    step = domain.decide(intent.state, fact)
    if step == domain.Step(intent.state):
        if intent.version == 0:  # a fact about an order not yet placed: remember the order
            await work.store.save_intent(domain.moved(intent, now=clock()))
        return intent
    now = clock()
    moved = domain.moved(
        intent, now=now, state=step.state, reason=reason if reason is not None else intent.reason
    )
    await work.store.save_intent(moved)
    if step.request is not None:
        await work.store.add_transaction(_transaction(moved, step.request, now=now))
    if step.publish is not None:
        settled = await work.store.transaction(moved.order_id, _KIND_OF[step.publish])
        assert settled is not None
        work.emit(
            events.TYPES[step.publish],
            subject=moved.order_id,
            sequence=moved.version,
            data=events.payload(step.publish, moved, settled),
        )
    if step.state is State.CANCELLING:
        moved = await _withdraw_unsent_authorization(work=work, intent=moved, clock=clock)
    return moved


_KIND_OF = {
    Fact.AUTHORIZED: Kind.AUTHORIZE,
    Fact.DECLINED: Kind.AUTHORIZE,
    Fact.CAPTURED: Kind.CAPTURE,
    Fact.VOIDED: Kind.VOID,
    Fact.REFUNDED: Kind.REFUND,
}


async def _withdraw_unsent_authorization(
    *, work: Work[Payments], intent: Intent, clock: Clock
) -> Intent:
    """Cancelled before the authorization ever left: withdraw it, so nothing is ever charged."""
    authorize = await work.store.transaction(intent.order_id, Kind.AUTHORIZE)
    if authorize is None or not await work.store.withdraw(
        authorize.id, reason="withdrawn: the order was cancelled", now=clock()
    ):
        return intent  # on its way: its result will be voided
    return await _advance(work=work, intent=intent, fact=Fact.DECLINED, reason=None, clock=clock)


def _transaction(intent: Intent, kind: Kind, *, now: datetime) -> Transaction:
    return Transaction(
        id=new_id(),
        order_id=intent.order_id,
        kind=kind,
        amount=intent.amount,
        currency=intent.currency,
        idempotency_key=domain.idempotency_key(intent.order_id, kind),
        status=Status.PENDING,
        provider_ref=None,
        attempts=0,
        next_attempt_at=now,
        reason=None,
        created_at=now,
        updated_at=now,
    )


# --- the provider's answers -------------------------------------------------------------------


async def settle(*, units: Units[Payments], notice: Notice, clock: Clock = utc_now) -> str:
    """Apply a verified webhook; a duplicate, late or unknown one changes nothing."""
    async with units() as work:
        return await settle_in(work=work, notice=notice, clock=clock)


async def settle_in(*, work: Work[Payments], notice: Notice, clock: Clock) -> str:
    """`settle` inside a unit of work the caller holds."""
    now = clock()
    transaction = await work.store.transaction(notice.order_id, notice.kind)
    intent = await work.store.intent(notice.order_id)
    if transaction is None or intent is None:
        return "unknown"
    if not await work.store.settle(transaction.id, notice=notice, now=now):
        return "duplicate"
    if intent.provider_ref is None and notice.provider_ref:
        intent = domain.moved(intent, now=now, provider_ref=notice.provider_ref)
        await work.store.save_intent(intent)
    fact = domain.OUTCOMES.get((notice.kind, notice.succeeded))
    if fact is not None:
        reason = (notice.reason or "declined by the card issuer") if fact is Fact.DECLINED else None
        await _advance(work=work, intent=intent, fact=fact, reason=reason, clock=clock)
    return "applied"


# --- reads ----------------------------------------------------------------------------------


async def get_payment(
    *, reads: Reads[Payments], order_id: str, caller: Caller
) -> tuple[Intent, list[Transaction]]:
    """An order's intent and ledger, for admins, the order service and the order's customer."""
    async with reads() as store:
        intent = await store.intent(order_id)
        ledger = await store.ledger(order_id)
    if intent is None or not intent.placed:
        raise domain.PaymentNotFound(order_id)
    if not (caller.is_admin or caller.subject in ("service:order", intent.customer)):
        raise domain.PaymentNotFound(order_id)  # another's payment is not even there
    return intent, ledger
