"""What the payment service publishes, and tolerant readers of the facts it consumes.

Published events have `subject` = the order id and `sequence` = the intent's version
(checkout-design.md). Readers take only the fields payment uses and ignore the rest.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from bazaar_payment.domain import Fact, Intent, Transaction

PAYMENT_AUTHORIZED = "payment.authorized.v1"
PAYMENT_CAPTURED = "payment.captured.v1"
PAYMENT_DECLINED = "payment.declined.v1"
PAYMENT_VOIDED = "payment.voided.v1"
PAYMENT_REFUNDED = "payment.refunded.v1"

TYPES: dict[Fact, str] = {
    Fact.AUTHORIZED: PAYMENT_AUTHORIZED,
    Fact.CAPTURED: PAYMENT_CAPTURED,
    Fact.DECLINED: PAYMENT_DECLINED,
    Fact.VOIDED: PAYMENT_VOIDED,
    Fact.REFUNDED: PAYMENT_REFUNDED,
}


class MoneyData(BaseModel):
    amount: int
    currency: str


class MoneyMoved(BaseModel):
    """payment.authorized / captured / voided / refunded."""

    order_id: str
    amount: MoneyData
    transaction_id: str


class Declined(BaseModel):
    """payment.declined."""

    order_id: str
    reason: str


SCHEMAS: dict[str, type[BaseModel]] = {
    PAYMENT_AUTHORIZED: MoneyMoved,
    PAYMENT_CAPTURED: MoneyMoved,
    PAYMENT_DECLINED: Declined,
    PAYMENT_VOIDED: MoneyMoved,
    PAYMENT_REFUNDED: MoneyMoved,
}


def payload(fact: Fact, intent: Intent, transaction: Transaction) -> dict[str, Any]:
    if fact is Fact.DECLINED:
        return Declined(order_id=intent.order_id, reason=intent.reason or "declined").model_dump()
    return MoneyMoved(
        order_id=intent.order_id,
        amount=MoneyData(amount=transaction.amount, currency=transaction.currency),
        transaction_id=transaction.id,
    ).model_dump()


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Customer(_Tolerant):
    subject: str


class Total(_Tolerant):
    amount: int
    currency: str


class OrderPlaced(_Tolerant):
    """order.placed."""

    order_id: str
    customer: Customer
    total: Total
    codes: list[str] = []
    payment_method_id: str


class AboutAnOrder(_Tolerant):
    """inventory.stock_reserved / reservation_failed / reservation_expired, order.cancelled,
    promotion.code_refused: payment needs only the order id."""

    order_id: str


class CodeRedeemed(_Tolerant):
    """promotion.code_redeemed."""

    order_id: str
    code: str
