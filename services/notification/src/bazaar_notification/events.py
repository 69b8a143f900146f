"""The one event the notification service publishes, and tolerant readers of those it consumes.

Each model reads only the fields a message needs and ignores the rest, so the order service may
add fields freely (the field names are those of the checkout design, ADR 6).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

RECALL_NOTICES_SENT = "notification.recall_notices_sent.v1"


class RecallNoticesSent(BaseModel):
    """notification.recall_notices_sent.v1 (subject: the SKU): the buyers of a recalled SKU who
    were just sent a recall notice (all of them at the recall; later, one late buyer)."""

    sku: str
    reason: str
    recipients: list[str]


SCHEMAS: dict[str, type[BaseModel]] = {RECALL_NOTICES_SENT: RecallNoticesSent}


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


class ProductRecalled(_Tolerant):
    """product.recalled."""

    sku: str
    name: str = ""
    reason: str = ""
