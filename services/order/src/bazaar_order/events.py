"""The events the order service publishes (its contract, ADR 6), and its tolerant readers of
the facts it listens to: each reads only the fields the order uses and ignores the rest.

`subject` of every event is the order id and `sequence` the order's version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bazaar_order.domain import Order

ORDER_PLACED = "order.placed.v1"
ORDER_CONFIRMED = "order.confirmed.v1"
ORDER_CANCELLED = "order.cancelled.v1"


class MoneyOut(BaseModel):
    amount: int
    currency: str


class Customer(BaseModel):
    subject: str
    email: str | None


class Line(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class DiscountOut(BaseModel):
    promotion_id: str
    code: str | None
    description: str
    amount: MoneyOut


class OrderPlaced(BaseModel):
    """Payload of order.placed.v1: everything inventory, promotion, payment and cart act on."""

    order_id: str
    cart_id: str
    customer: Customer
    lines: list[Line]
    subtotal: MoneyOut
    discounts: list[DiscountOut]
    total: MoneyOut
    codes: list[str]
    payment_method_id: str
    placed_at: datetime


class OrderConfirmed(BaseModel):
    """order.confirmed.v1: paid; inventory commits its stock, others tell the customer."""

    order_id: str
    customer: Customer
    lines: list[Line]
    total: MoneyOut
    confirmed_at: datetime


class OrderCancelled(BaseModel):
    """Payload of order.cancelled.v1: why, and how far the money had got (payment settles it)."""

    order_id: str
    customer: Customer
    lines: list[Line]
    total: MoneyOut
    reason: str
    payment_status: str
    cancelled_at: datetime


SCHEMAS: dict[str, type[BaseModel]] = {
    ORDER_PLACED: OrderPlaced,
    ORDER_CONFIRMED: OrderConfirmed,
    ORDER_CANCELLED: OrderCancelled,
}


def _common(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "customer": Customer(subject=order.customer, email=order.email),
        "lines": [Line.model_validate(line, from_attributes=True) for line in order.lines],
        "total": MoneyOut.model_validate(order.total, from_attributes=True),
    }


def placed(order: Order) -> dict[str, Any]:
    payload = OrderPlaced(
        **_common(order),
        cart_id=order.cart_id,
        subtotal=MoneyOut.model_validate(order.subtotal, from_attributes=True),
        discounts=[DiscountOut.model_validate(d, from_attributes=True) for d in order.discounts],
        codes=list(order.codes),
        payment_method_id=order.payment_method_id,
        placed_at=order.placed_at,
    )
    return payload.model_dump(mode="json")


def confirmed(order: Order) -> dict[str, Any]:
    return OrderConfirmed(**_common(order), confirmed_at=order.updated_at).model_dump(mode="json")


def cancelled(order: Order) -> dict[str, Any]:
    payload = OrderCancelled(
        **_common(order),
        reason=order.reason or "",
        payment_status=order.payment_status,
        cancelled_at=order.updated_at,
    )
    return payload.model_dump(mode="json")


# --- what the order reads of the facts it listens to -------------------------------------------


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderFact(_Tolerant):
    """Every fact the order listens to names the order."""

    order_id: str


class ReservationFailedFacts(OrderFact):
    """inventory.reservation_failed."""

    sku: str
    requested: int = 0
    available: int = 0


class CodeRefusedFacts(OrderFact):
    """promotion.code_refused."""

    code: str
    reason: str = "refused"


class PaymentDeclinedFacts(OrderFact):
    """payment.declined."""

    reason: str = "declined"


class ProductRecalledFacts(_Tolerant):
    """product.recalled: which SKU, and why (not about one order)."""

    sku: str
    reason: str = ""
