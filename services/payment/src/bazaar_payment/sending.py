"""The worker's use case: send the ledger's due calls to the provider, outside any transaction.

A round claims a batch of due rows in one transaction, calls the provider for all of them at
once (each with its row's idempotency key), and records every answer in one more transaction. A
crash anywhere leaves rows that become due again and are sent with the same keys: the provider
answers a known key with what it did the first time, so nothing is ever charged twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from bazaar_chassis import Clock, Money, Reads, Units, Work, utc_now
from bazaar_payment.domain import Intent, Kind, PaymentMethod, Transaction
from bazaar_payment.provider import Notice, PaymentProvider, ProviderRejected, ProviderUnavailable
from bazaar_payment.use_cases import Payments, settle_in

LEASE = timedelta(seconds=10)  # a claimed call not recorded by then is sent again (same key)
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one call: accepted, try again later, refused, or nothing to move."""

    transaction: Transaction
    ref: str
    retry: str | None = None
    refused: str | None = None
    nothing_to_move: bool = False


async def send_due(
    *,
    units: Units[Payments],
    reads: Reads[Payments],
    provider: PaymentProvider,
    clock: Clock = utc_now,
    limit: int = 50,
) -> int:
    """Send what is due; returns how many calls this round made (0: nothing due)."""
    async with reads() as store:
        due = await store.due(now=clock(), limit=limit)
    if not due:
        return 0
    calls: list[tuple[Transaction, Intent, PaymentMethod | None]] = []
    async with units() as work:
        now = clock()
        for transaction in due:
            if not await work.store.claim(transaction.id, now=now, until=now + LEASE):
                continue  # another instance has it
            intent = await work.store.intent(transaction.order_id)
            assert intent is not None  # a transaction is only ever added for an intent
            calls.append((transaction, intent, await _method(work.store, intent, transaction)))
    answers = await asyncio.gather(*(_call(provider, *call) for call in calls))
    async with units() as work:
        for answer in answers:
            await _record(work=work, answer=answer, clock=clock)
    return len(calls)


async def _method(
    store: Payments, intent: Intent, transaction: Transaction
) -> PaymentMethod | None:
    if transaction.kind is not Kind.AUTHORIZE or not intent.payment_method_id:
        return None
    return await store.method(intent.payment_method_id)


async def _call(
    provider: PaymentProvider,
    transaction: Transaction,
    intent: Intent,
    method: PaymentMethod | None,
) -> Answer:
    key, amount = transaction.idempotency_key, Money(transaction.amount, transaction.currency)
    ref = intent.provider_ref or ""
    if transaction.amount == 0:
        return Answer(transaction, ref or "none", nothing_to_move=True)
    try:
        if transaction.kind is Kind.AUTHORIZE:
            if method is None:
                return Answer(transaction, ref, refused="unknown payment method")
            ref = await provider.authorize(
                key=key, amount=amount, method_ref=method.provider_ref, order_id=intent.order_id
            )
        elif transaction.kind is Kind.CAPTURE:
            await provider.capture(key=key, intent_ref=ref)
        elif transaction.kind is Kind.VOID:
            await provider.void(key=key, intent_ref=ref)
        else:
            await provider.refund(key=key, intent_ref=ref, amount=amount)
    except ProviderUnavailable as exc:
        return Answer(transaction, ref, retry=str(exc))
    except ProviderRejected as exc:
        return Answer(transaction, ref, refused=str(exc))
    return Answer(transaction, ref)


async def _record(*, work: Work[Payments], answer: Answer, clock: Clock) -> None:
    transaction, now = answer.transaction, clock()
    if answer.retry is not None:
        backoff = min(MAX_BACKOFF_SECONDS, 0.2 * 2**transaction.attempts)
        at = now + timedelta(seconds=backoff)
        await work.store.retry_later(transaction, at=at, reason=answer.retry, now=now)
    elif answer.refused is not None or answer.nothing_to_move:
        succeeded = answer.refused is None
        notice = Notice(
            transaction.order_id, transaction.kind, succeeded, answer.ref, reason=answer.refused
        )
        await settle_in(work=work, notice=notice, clock=clock)
    else:  # accepted: the provider's webhook settles it (and tells the intent its ref)
        await work.store.mark_sent(transaction.id, provider_ref=answer.ref, now=now)
