"""What the catalog shows, decided without I/O: which products are listed, which price is shown.

The catalog is a copy. It never decides a price or a stock level; it only picks, from the facts
the systems of record published, what a shopper sees on a category page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bazaar_chassis import Money, NotFound

CATALOG_CURRENCY = "USD"
LISTED_STATUSES = frozenset({"active"})


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    name: str
    parent: str | None
    position: int


@dataclass(frozen=True, slots=True)
class CatalogItem:
    sku: str
    name: str
    description: str
    price: Money | None
    available: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0


class CategoryNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no category {key!r} in the catalog")


class ItemNotListed(NotFound):
    def __init__(self, sku: str, status: str | None) -> None:
        reason = f"it is {status}" if status and status not in LISTED_STATUSES else "unknown SKU"
        super().__init__(f"product {sku!r} is not in the catalog ({reason})")


def is_listed(status: str | None) -> bool:
    """Recalled, discontinued and draft products disappear from every listing."""
    return status in LISTED_STATUSES


def display_price(base_prices: Sequence[Money]) -> Money | None:
    """The catalog shows the base price in its currency, else the first base price published."""
    for price in base_prices:
        if price.currency == CATALOG_CURRENCY:
            return price
    return base_prices[0] if base_prices else None
