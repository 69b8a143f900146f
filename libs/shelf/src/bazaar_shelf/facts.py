"""Tolerant readers of the events a shop window consumes: product, pricing, inventory, category.

Only the fields the catalog and search need are read and the rest ignored, so producers can add
fields freely (tests/contracts checks these models against the producers' exported schemas).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProductFacts(_Tolerant):
    """product.created / product.updated / product.recalled."""

    sku: str
    name: str
    description: str = ""
    status: str


class BasePrice(_Tolerant):
    amount: int
    currency: str


class PriceFacts(_Tolerant):
    """pricing.price_changed.v1, and v2 upcast to it (`price_facts`)."""

    sku: str
    base_prices: list[BasePrice]


class CurrencyFacts(_Tolerant):
    currency: str
    base_amount: int | None = None


class PriceFactsV2(_Tolerant):
    """pricing.price_changed.v2: prices grouped by currency, each with its base amount or null."""

    sku: str
    currencies: list[CurrencyFacts]

    def upcast(self) -> PriceFacts:
        """The v1 reading of the same list: the base price of each currency that has one."""
        return PriceFacts(
            sku=self.sku,
            base_prices=[
                BasePrice(amount=c.base_amount, currency=c.currency)
                for c in self.currencies
                if c.base_amount is not None
            ],
        )


def price_facts(event_type: str, data: Mapping[str, Any]) -> PriceFacts:
    """Either major of pricing.price_changed as v1 facts (both twins of one change carry one
    sequence, so the second changes nothing); an unknown major is retried, then dead-lettered."""
    major = int(event_type.rsplit(".v", 1)[1])
    if major == 2:
        return PriceFactsV2.model_validate(data).upcast()
    if major == 1:
        return PriceFacts.model_validate(data)
    raise ValueError(f"a shop window reads pricing.price_changed v1 and v2, not {event_type}")


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
"""The majors of each consumed event the readers here understand (checked by the contract test
against what producers publish: a producer keeps an old major while a consumer reads only it)."""


class StockFacts(_Tolerant):
    """inventory.stock_changed."""

    sku: str
    available: int


class CategoryFacts(_Tolerant):
    """category.created / category.updated (search keeps only the tree: key and parent)."""

    key: str
    name: str
    parent: str | None = None
    position: int = 0


class PlacementFacts(_Tolerant):
    """category.product_assigned / category.product_unassigned."""

    category: str
    sku: str
    position: int = 0
