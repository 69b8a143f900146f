"""How consumed facts update the read model: each event name maps to the aspect it sets and a
function from one event to one row; a run of events becomes one conditional `executemany`.
Product facts also teach the vocabulary the spellings of their words (for typo tolerance)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bazaar_chassis import Batched, Event, Handler, Money, UnitOfWork, apply_newer, copying
from bazaar_search import store
from bazaar_search.domain import display_price, indexed_text, spellings
from bazaar_search.events import (
    CategoryFacts,
    PlacementFacts,
    ProductFacts,
    StockFacts,
    price_facts,
)

Row = dict[str, Any]


def product_row(event: Event) -> Row:
    facts = ProductFacts.model_validate(event.data)
    return {
        "sku": facts.sku,
        "name": facts.name,
        "name_terms": indexed_text(facts.name),
        "description_terms": indexed_text(facts.description),
        "status": facts.status,
        "product_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


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
    facts = CategoryFacts.model_validate(event.data)
    return {"key": facts.key, "parent": facts.parent, "seq": event.sequence}


def placement_row(*, assigned: bool) -> Callable[[Event], Row]:
    def row(event: Event) -> Row:
        facts = PlacementFacts.model_validate(event.data)
        return {
            "category_key": facts.category,
            "sku": facts.sku,
            "assigned": assigned,
            "seq": event.sequence,
        }

    return row


async def _apply_products(events: Sequence[Event], uow: UnitOfWork) -> None:
    rows = [product_row(e) for e in events]
    await apply_newer(uow.connection, store.PRODUCT, rows)
    texts = [r[column] for r in rows for column in ("name_terms", "description_terms")]
    await store.learn_spellings(uow.connection, spellings(texts))


PRODUCTS = Batched(_apply_products)

HANDLERS: dict[str, Handler] = {
    "product.created": PRODUCTS,
    "product.updated": PRODUCTS,
    "product.recalled": PRODUCTS,
    "pricing.price_changed": copying(store.PRICE, price_row),
    "inventory.stock_changed": copying(store.STOCK, stock_row),
    "category.created": copying(store.CATEGORY, category_row),
    "category.updated": copying(store.CATEGORY, category_row),
    "category.product_assigned": copying(store.PLACEMENT, placement_row(assigned=True)),
    "category.product_unassigned": copying(store.PLACEMENT, placement_row(assigned=False)),
}
