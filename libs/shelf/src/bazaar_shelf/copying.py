"""How a shop window copies the facts it shows: the card's columns, the category tree and the
placements, one row per fact, each applied only where it is newer (`newest.py`).

A service declares its own tables with these columns, adding what only it keeps (the catalog a
description and names, search the words it indexes), and binds `handlers` for everything but
product facts, which each one reads its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table

from bazaar_chassis import Batched, Event, Money, UtcDateTime
from bazaar_shelf.card import display_price
from bazaar_shelf.facts import CategoryFacts, PlacementFacts, StockFacts, price_facts
from bazaar_shelf.newest import Aspect, copying

Row = dict[str, Any]


def card_columns() -> list[Column[Any]]:
    """After a card row's key and product columns: listing status, shown price and stock, each
    with the sequence of the fact that set it last."""
    return [
        Column("status", String(20)),
        Column("product_seq", Integer, nullable=False, default=0),
        Column("price_amount", BigInteger),
        Column("price_currency", String(3)),
        Column("price_seq", Integer, nullable=False, default=0),
        Column("available", Integer, nullable=False, default=0),
        Column("stock_seq", Integer, nullable=False, default=0),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


def _copied(name: str, metadata: MetaData, *columns: Column[Any]) -> Table:
    """A table of copied facts: its columns, then the sequence of the fact that set each row."""
    return Table(name, metadata, *columns, Column("seq", Integer, nullable=False))


def categories_table(metadata: MetaData, *shown: Column[Any]) -> Table:
    """The category tree as copied: its key and what the service shows of it."""
    return _copied("categories", metadata, Column("key", String(64), primary_key=True), *shown)


def placements_table(metadata: MetaData, *shown: Column[Any]) -> Table:
    """Which product is placed in which category (a withdrawn placement is kept, unassigned)."""
    keys = [Column(name, String(64), primary_key=True) for name in ("category_key", "sku")]
    return _copied(
        "placements", metadata, *keys, *shown, Column("assigned", Boolean, nullable=False)
    )


def price_row(event: Event) -> Row:
    facts = price_facts(event.type, event.data)
    shown = display_price([Money(p.amount, p.currency) for p in facts.base_prices])
    return {
        "sku": facts.sku,
        "price_amount": shown.amount if shown else None,
        "price_currency": shown.currency if shown else None,
        "price_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


def stock_row(event: Event) -> Row:
    facts = StockFacts.model_validate(event.data)
    return {
        "sku": facts.sku,
        "available": facts.available,
        "stock_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


def category_row(event: Event) -> Row:
    """Every field a shop window may show; a table without a column ignores its value."""
    facts = CategoryFacts.model_validate(event.data)
    return {**facts.model_dump(), "seq": event.sequence}


def placement_row(*, assigned: bool) -> Callable[[Event], Row]:
    def row(event: Event) -> Row:
        facts = PlacementFacts.model_validate(event.data)
        return {
            "category_key": facts.category,
            "sku": facts.sku,
            "position": facts.position,
            "assigned": assigned,
            "seq": event.sequence,
        }

    return row


def product_aspect(card: Table, *columns: str) -> Aspect:
    """The columns a product fact sets on a card row: the service's own, then its status."""
    return Aspect(
        card, ("sku",), "product_seq", ("sku", *columns, "status", "product_seq", "updated_at")
    )


def _whole_row(table: Table, keys: tuple[str, ...]) -> Aspect:
    """One kind of fact sets every column of the table."""
    return Aspect(table, keys, "seq", tuple(column.name for column in table.columns))


def handlers(*, card: Table, categories: Table, placements: Table) -> dict[str, Batched]:
    """Consumer handlers for price, stock, category and placement facts, by event name."""
    price = ("sku", "price_amount", "price_currency", "price_seq", "updated_at")
    stock = ("sku", "available", "stock_seq", "updated_at")
    category = copying(_whole_row(categories, ("key",)), category_row)
    placement = _whole_row(placements, ("category_key", "sku"))
    return {
        "pricing.price_changed": copying(Aspect(card, ("sku",), "price_seq", price), price_row),
        "inventory.stock_changed": copying(Aspect(card, ("sku",), "stock_seq", stock), stock_row),
        "category.created": category,
        "category.updated": category,
        "category.product_assigned": copying(placement, placement_row(assigned=True)),
        "category.product_unassigned": copying(placement, placement_row(assigned=False)),
    }
