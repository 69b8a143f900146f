"""What a shopper sees of a product wherever it is shown, decided without I/O.

The catalog and search only pick from the facts the systems of record published: which products
are listed and which price is shown; one rule, so the two never disagree about a price.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from bazaar_chassis import Money

DISPLAY_CURRENCY = "USD"
LISTED_STATUSES = frozenset({"active"})


def is_listed(status: str | None) -> bool:
    """Recalled, discontinued and draft products disappear from every listing and search."""
    return status in LISTED_STATUSES


def display_price(base_prices: Sequence[Money]) -> Money | None:
    """The base price in `DISPLAY_CURRENCY`, else the first base price published."""
    for price in base_prices:
        if price.currency == DISPLAY_CURRENCY:
            return price
    return base_prices[0] if base_prices else None


class ItemOut(BaseModel):  # the item card in a category page's or a search result's answer
    sku: str
    name: str
    price: Money | None
    available: int
    in_stock: bool

    @classmethod
    def of(cls, item: object) -> ItemOut:
        """From a read model's item (its attributes of the same names)."""
        return cls.model_validate(item, from_attributes=True)
