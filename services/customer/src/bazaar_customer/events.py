"""Tolerant readers of the events the customer service consumes; it publishes none (yet).

Each model reads only the fields the customer needs and ignores the rest, so identity and order
may add fields freely (the field names are those of the checkout design, ADR 6).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from bazaar_chassis import Event

SCHEMAS: dict[str, type[BaseModel]] = {}  # published events: none


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserRegistered(_Tolerant):
    """identity.user_registered: the subject is the user's id."""

    id: str
    email: str
    name: str = ""
    organization: str = ""


class OrderCustomer(_Tolerant):
    subject: str
    email: str = ""


class Total(_Tolerant):
    amount: int
    currency: str = "USD"


class OrderFacts(_Tolerant):
    """order.placed / order.confirmed / order.cancelled, as far as a history needs them."""

    order_id: str
    customer: OrderCustomer
    total: Total
    placed_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None

    def when(self, event: Event) -> datetime:
        """When the order was placed, or the best stand-in until `order.placed` arrives."""
        return self.placed_at or self.confirmed_at or self.cancelled_at or event.time
