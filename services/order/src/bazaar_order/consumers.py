"""How the order listens to the checkout (ADR 6): each fact names the order it is about, and
moves its states through `use_cases.record_fact`; cancellations say why, in words. A recall
names a SKU, not an order: `recalls.cancel_recalled` finds the orders it touches."""

from __future__ import annotations

from collections.abc import Callable

from bazaar_chassis import Event, Handler, UnitOfWork, units_within
from bazaar_order import domain, recalls, use_cases
from bazaar_order.domain import Fact
from bazaar_order.events import (
    CodeRefusedFacts,
    OrderFact,
    PaymentDeclinedFacts,
    ProductRecalledFacts,
    ReservationFailedFacts,
)
from bazaar_order.store import OrderStore

Reason = Callable[[Event], str | None]


def no_reason(_event: Event) -> str | None:
    return None


def out_of_stock(event: Event) -> str:
    facts = ReservationFailedFacts.model_validate(event.data)
    return domain.out_of_stock(facts.sku, facts.available)


def code_refused(event: Event) -> str:
    facts = CodeRefusedFacts.model_validate(event.data)
    return domain.code_refused(facts.code, facts.reason)


def payment_declined(event: Event) -> str:
    return domain.payment_declined(PaymentDeclinedFacts.model_validate(event.data).reason)


def expired(_event: Event) -> str:
    return domain.RESERVATION_EXPIRED


def recording(fact: Fact, reason: Reason = no_reason) -> Handler:
    async def record(event: Event, uow: UnitOfWork) -> None:
        await use_cases.record_fact(
            units=units_within(uow, OrderStore),
            order_id=OrderFact.model_validate(event.data).order_id,
            fact=fact,
            reason=reason(event),
        )

    return record


async def on_product_recalled(event: Event, uow: UnitOfWork) -> None:
    facts = ProductRecalledFacts.model_validate(event.data)
    await recalls.cancel_recalled(
        units=units_within(uow, OrderStore), sku=facts.sku, reason=facts.reason
    )


HANDLERS: dict[str, Handler] = {
    "inventory.stock_reserved": recording(Fact.STOCK_RESERVED),
    "inventory.reservation_failed": recording(Fact.RESERVATION_FAILED, out_of_stock),
    "inventory.reservation_expired": recording(Fact.RESERVATION_EXPIRED, expired),
    "promotion.code_redeemed": recording(Fact.CODE_REDEEMED),
    "promotion.code_refused": recording(Fact.CODE_REFUSED, code_refused),
    "payment.authorized": recording(Fact.PAYMENT_AUTHORIZED),
    "payment.captured": recording(Fact.PAYMENT_CAPTURED),
    "payment.declined": recording(Fact.PAYMENT_DECLINED, payment_declined),
    "payment.refunded": recording(Fact.PAYMENT_REFUNDED),
    "payment.voided": recording(Fact.PAYMENT_VOIDED),
    "product.recalled": on_product_recalled,
}
