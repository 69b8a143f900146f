"""The platform's choreographed flows: which facts make up each one. Who publishes and who
consumes each fact is NOT written here: scripts/choreography.py reads it from what every
service's definition declares, and `bazaar recall` watches the recall flow's facts live."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str
    trigger: str  # the fact that starts it: `<producer>.<event>`
    facts: tuple[str, ...]  # the facts that follow, in the order they usually happen


CHECKOUT = Flow(
    name="checkout",
    title="Checkout (ADR 6): an order placed, completed or cancelled by the facts it causes",
    trigger="order.placed",
    facts=(
        "cart.ordered",
        "inventory.stock_reserved",
        "inventory.reservation_failed",
        "inventory.reservation_expired",
        "promotion.code_redeemed",
        "promotion.code_refused",
        "payment.authorized",
        "payment.captured",
        "payment.declined",
        "order.confirmed",
        "order.cancelled",
        "payment.voided",
        "payment.refunded",
    ),
)

RECALL = Flow(
    name="recall",
    title="Product recall (issue 10): one fact, and every interested service reacts on its own",
    trigger="product.recalled",
    facts=(
        "inventory.stock_quarantined",
        "inventory.stock_changed",
        "cart.recalled_lines_removed",
        "order.cancelled",
        "payment.voided",
        "payment.refunded",
        "notification.recall_notices_sent",
    ),
)

FLOWS = (CHECKOUT, RECALL)
