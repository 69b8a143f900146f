"""Tolerant readers of the events search consumes.

Search keeps its own idea of each producer's payload, reading only the fields it needs and
ignoring the rest, so producers can add fields freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProductFacts(_Tolerant):
    """product.created / product.updated / product.recalled: what is searched, and whether."""

    sku: str
    name: str
    description: str = ""
    status: str


class BasePrice(_Tolerant):
    amount: int
    currency: str


class PriceFacts(_Tolerant):
    """pricing.price_changed.v1, and v2 read as it (`price_facts`)."""

    sku: str
    base_prices: list[BasePrice]


class CurrencyPrices(_Tolerant):
    currency: str
    base_amount: int | None = None


class PriceFactsV2(_Tolerant):
    """pricing.price_changed.v2: prices grouped by currency, each with its base amount or null."""

    sku: str
    currencies: list[CurrencyPrices]


def price_facts(event_type: str, data: Mapping[str, Any]) -> PriceFacts:
    """Either major of pricing.price_changed as the base prices search shows (both twins of one
    change carry the same sequence, so whichever arrives second is not newer and changes
    nothing); an unknown major is an error, retried and then dead-lettered."""
    major = int(event_type.rsplit(".v", 1)[1])
    if major == 1:
        return PriceFacts.model_validate(data)
    if major != 2:
        raise ValueError(f"search reads pricing.price_changed v1 and v2, not {event_type}")
    v2 = PriceFactsV2.model_validate(data)
    return PriceFacts(
        sku=v2.sku,
        base_prices=[
            BasePrice(amount=c.base_amount, currency=c.currency)
            for c in v2.currencies
            if c.base_amount is not None
        ],
    )


READS: dict[str, frozenset[int]] = {
    "pricing.price_changed": frozenset({1, 2}),
    "inventory.stock_changed": frozenset({1}),
    "product.created": frozenset({1}),
    "product.updated": frozenset({1}),
    "product.recalled": frozenset({1}),
    "category.created": frozenset({1}),
    "category.updated": frozenset({1}),
    "category.product_assigned": frozenset({1}),
    "category.product_unassigned": frozenset({1}),
}
"""The majors of each consumed event search understands (checked by tests/contracts)."""


class StockFacts(_Tolerant):
    """inventory.stock_changed."""

    sku: str
    available: int


class CategoryFacts(_Tolerant):
    """category.created / category.updated: the tree a category filter descends."""

    key: str
    parent: str | None = None


class PlacementFacts(_Tolerant):
    """category.product_assigned / category.product_unassigned."""

    category: str
    sku: str
