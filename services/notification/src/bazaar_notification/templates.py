"""The template table: which consumed fact becomes which message, worded how. Pure functions.

One row per event name. A new notice (e.g. `product.recalled`: "a product you bought is
recalled") is a tolerant reader in `events`, one function here and one row in `TEMPLATES`;
`consumers` subscribes to every name in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bazaar_notification.domain import Purchase
from bazaar_notification.events import Line, OrderCancelled, OrderConfirmed, Total


@dataclass(frozen=True, slots=True)
class Notice:
    """What a template makes of one fact: to whom, about what, and the words."""

    kind: str
    recipient: str
    to: str
    order_id: str | None
    subject: str
    body: str


def money(total: Total) -> str:
    sign = "-" if total.amount < 0 else ""
    units, cents = divmod(abs(total.amount), 100)
    return f"{sign}{units}.{cents:02d} {total.currency}"


def _lines(lines: list[Line]) -> str:
    return "\n".join(f"  {line.quantity} x {line.name or line.sku} ({line.sku})" for line in lines)


def order_confirmed(data: dict[str, Any]) -> Notice:
    facts = OrderConfirmed.model_validate(data)
    return Notice(
        kind="order_confirmed",
        recipient=facts.customer.subject,
        to=facts.customer.email,
        order_id=facts.order_id,
        subject=f"Your Bazaar order {facts.order_id} is confirmed",
        body=(
            f"Thank you for your order {facts.order_id}.\n\n{_lines(facts.lines)}\n\n"
            f"Total charged: {money(facts.total)}\n"
        ),
    )


def order_cancelled(data: dict[str, Any]) -> Notice:
    facts = OrderCancelled.model_validate(data)
    refund = " Any payment taken is refunded." if facts.payment_status != "failed" else ""
    return Notice(
        kind="order_cancelled",
        recipient=facts.customer.subject,
        to=facts.customer.email,
        order_id=facts.order_id,
        subject=f"Your Bazaar order {facts.order_id} is cancelled",
        body=(
            f"Your order {facts.order_id} ({money(facts.total)}) is cancelled: "
            f"{facts.reason or 'no reason given'}.{refund}\n"
        ),
    )


def product_recalled(purchase: Purchase, reason: str) -> Notice:
    """To one buyer of a recalled product (not a template of one event: see recalls.py)."""
    product = purchase.name or purchase.sku
    return Notice(
        kind="product_recalled",
        recipient=purchase.recipient,
        to=purchase.to,
        order_id=purchase.order_id,
        subject=f"Recall: {product} ({purchase.sku})",
        body=(
            f"{product} ({purchase.sku}), which you bought in order {purchase.order_id}, is "
            f"recalled: {reason}.\nPlease stop using it.\n"
        ),
    )


TEMPLATES: dict[str, Callable[[dict[str, Any]], Notice]] = {
    "order.confirmed": order_confirmed,
    "order.cancelled": order_cancelled,
}
