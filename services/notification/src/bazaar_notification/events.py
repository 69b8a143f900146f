"""Tolerant readers of the events the notification service consumes; it publishes none.

Each model reads only the fields a message needs and ignores the rest, so the order service may
add fields freely (the field names are those of the checkout design, ADR 6).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

SCHEMAS: dict[str, type[BaseModel]] = {}  # published events: none


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderCustomer(_Tolerant):
    subject: str
    email: str


class Total(_Tolerant):
    amount: int
    currency: str = "USD"


class Line(_Tolerant):
    sku: str
    name: str = ""
    quantity: int = 1


class OrderConfirmed(_Tolerant):
    """order.confirmed."""

    order_id: str
    customer: OrderCustomer
    lines: list[Line] = []
    total: Total
    confirmed_at: datetime | None = None


class OrderCancelled(_Tolerant):
    """order.cancelled."""

    order_id: str
    customer: OrderCustomer
    lines: list[Line] = []
    total: Total
    reason: str = ""
    payment_status: str = ""
    cancelled_at: datetime | None = None
