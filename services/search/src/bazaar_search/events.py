"""Tolerant readers of the events search consumes.

Search keeps its own idea of each producer's payload, reading only the fields it needs and
ignoring the rest, so producers can add fields freely.
"""

from __future__ import annotations

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
    """pricing.price_changed."""

    sku: str
    base_prices: list[BasePrice]


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
