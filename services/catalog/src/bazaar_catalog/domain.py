"""What the catalog shows, decided without I/O: its categories, its items and why one is missing.

The catalog is a copy. It never decides a price or a stock level; which products are listed and
which price is shown is every shop window's rule (`bazaar_shelf.card`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bazaar_chassis import Money, NotFound
from bazaar_shelf.card import is_listed


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
    categories: tuple[str, ...] = ()  # keys of the categories it is placed in (single reads only)

    @property
    def in_stock(self) -> bool:
        return self.available > 0


class CategoryNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no category {key!r} in the catalog")


class ItemNotListed(NotFound):
    def __init__(self, sku: str, status: str | None) -> None:
        reason = f"it is {status}" if status and not is_listed(status) else "unknown SKU"
        # `status` lets a caller tell a withdrawn product (recalled...) from an unknown SKU
        super().__init__(
            f"product {sku!r} is not in the catalog ({reason})",
            extra={"product_status": status} if status else None,
        )
