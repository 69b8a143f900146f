"""How consumed facts update the read model: each event name maps to the aspect it sets and a
function from one event to one row; a run of events becomes one conditional `executemany`, and
the same transaction bumps the read model's generation (so no cached answer outlives it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bazaar_catalog import store
from bazaar_catalog.domain import display_price
from bazaar_catalog.events import (
    CategoryFacts,
    PlacementFacts,
    ProductFacts,
    StockFacts,
    price_facts,
)
from bazaar_chassis import Batched, Event, Handler, Money, UnitOfWork, copying

Row = dict[str, Any]


def product_row(event: Event) -> Row:
    facts = ProductFacts.model_validate(event.data)
    return {
        "sku": facts.sku,
        "name": facts.name,
        "description": facts.description,
        "status": facts.status,
        "product_seq": event.sequence,
        "updated_at": datetime.now(UTC),
    }


def price_row(event: Event) -> Row:
    facts = price_facts(event.type, event.data)  # v1 or v2; the twins carry one sequence
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
    return {
        "key": facts.key,
        "name": facts.name,
        "parent": facts.parent,
        "position": facts.position,
        "seq": event.sequence,
    }


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


def new_generation(handler: Batched) -> Batched:
    """`handler`, then the generation bumped in its transaction: an answer cached before it
    (api/answers.py) is not served again once this transaction commits, on any instance."""

    async def apply(events: Sequence[Event], uow: UnitOfWork) -> None:
        await handler.handle(events, uow)
        await uow.connection.execute(store.BUMP_GENERATION)

    return Batched(apply)


HANDLERS: dict[str, Handler] = {
    name: new_generation(handler)
    for name, handler in {
        "product.created": copying(store.PRODUCT, product_row),
        "product.updated": copying(store.PRODUCT, product_row),
        "product.recalled": copying(store.PRODUCT, product_row),
        "pricing.price_changed": copying(store.PRICE, price_row),
        "inventory.stock_changed": copying(store.STOCK, stock_row),
        "category.created": copying(store.CATEGORY, category_row),
        "category.updated": copying(store.CATEGORY, category_row),
        "category.product_assigned": copying(store.PLACEMENT, placement_row(assigned=True)),
        "category.product_unassigned": copying(store.PLACEMENT, placement_row(assigned=False)),
    }.items()
}
