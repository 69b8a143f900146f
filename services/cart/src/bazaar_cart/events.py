"""The events the cart publishes, and its tolerant readers of the ones it consumes.

Readers take only the fields the cart uses and ignore the rest, so promotion and order can add
fields freely (docs/architecture.md §4); a promotion's `value` is a percent or a Money object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bazaar_cart.domain import Cart

CART_ORDERED = "cart.ordered.v1"
CART_MERGED = "cart.merged.v1"
RECALLED_LINES_REMOVED = "cart.recalled_lines_removed.v1"


class CartOrdered(BaseModel):
    """cart.ordered.v1 (subject: the cart id): an order was placed from the cart."""

    cart_id: str
    order_id: str


class CartMerged(BaseModel):
    """cart.merged.v1 (subject: the guest cart's id): its lines moved into the owner's cart."""

    cart_id: str
    into_cart_id: str
    owner: str


class RemovedLine(BaseModel):
    cart_id: str
    owner: str
    quantity: int


class RecalledLinesRemoved(BaseModel):
    """cart.recalled_lines_removed.v1 (subject: the SKU, sequence: the recalled product's
    version): a recall reached the carts; the SKU's line left each active cart listed, whose
    owner finds a notice on the cart saying why. Published once per recall, even for no cart."""

    sku: str
    reason: str
    carts: list[RemovedLine]


SCHEMAS: dict[str, type[BaseModel]] = {
    CART_ORDERED: CartOrdered,
    CART_MERGED: CartMerged,
    RECALLED_LINES_REMOVED: RecalledLinesRemoved,
}


def ordered(*, cart_id: str, order_id: str) -> dict[str, Any]:
    return CartOrdered(cart_id=cart_id, order_id=order_id).model_dump(mode="json")


def merged(*, cart_id: str, into_cart_id: str, owner: str) -> dict[str, Any]:
    return CartMerged(cart_id=cart_id, into_cart_id=into_cart_id, owner=owner).model_dump(
        mode="json"
    )


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MoneyFacts(_Tolerant):
    amount: int
    currency: str


class PredicateFacts(_Tolerant):
    skus: list[str] = []
    categories: list[str] = []


class PromotionFacts(_Tolerant):
    """promotion.promotion_changed (subject: the promotion id): the whole promotion."""

    id: str
    name: str = ""
    kind: str
    value: float | MoneyFacts | None = None
    predicate: PredicateFacts | None = None
    threshold: MoneyFacts | None = None
    buy: int | None = None  # promotion sends null unless the kind is buy_x_get_y
    get: int | None = None
    priority: int = 100
    stacking: str = "stackable"
    requires_code: bool = False
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True


class CodeFacts(_Tolerant):
    """promotion.code_changed (subject: the code)."""

    code: str
    promotion_id: str
    usage_limit: int | None = None
    uses: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True


class ProductRecalled(_Tolerant):
    """product.recalled: which SKU, and why."""

    sku: str
    reason: str = ""


class OrderPlaced(_Tolerant):
    """order.placed: the cart the order was placed from."""

    order_id: str
    cart_id: str


def recalled_lines_removed(*, sku: str, reason: str, carts: list[Cart]) -> dict[str, Any]:
    """The payload for the carts a recall changed; each one's newest notice is the recall's."""
    removed = [
        RemovedLine(cart_id=cart.id, owner=cart.owner, quantity=cart.notices[-1].quantity)
        for cart in carts
    ]
    return RecalledLinesRemoved(sku=sku, reason=reason, carts=removed).model_dump(mode="json")
