"""How consumed facts update the read model: one batched handler per event name, each turning a
run of facts into rows for one conditional `executemany` (see `store.apply_newer`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bazaar_catalog import store
from bazaar_catalog.domain import Money, display_price
from bazaar_catalog.events import (
    CategoryFacts,
    PlacementFacts,
    PriceFacts,
    ProductFacts,
    StockFacts,
)
from bazaar_chassis import Event, UnitOfWork
from bazaar_chassis.consumer import Batched, Handler


async def on_products(events: Sequence[Event], uow: UnitOfWork) -> None:
    now = datetime.now(UTC)
    rows = []
    for event in events:
        facts = ProductFacts.model_validate(event.data)
        rows.append(
            {
                "sku": facts.sku,
                "name": facts.name,
                "description": facts.description,
                "status": facts.status,
                "product_seq": event.sequence,
                "updated_at": now,
            }
        )
    await store.apply_newer(uow.connection, store.PRODUCT, rows)


async def on_prices_changed(events: Sequence[Event], uow: UnitOfWork) -> None:
    now = datetime.now(UTC)
    rows = []
    for event in events:
        facts = PriceFacts.model_validate(event.data)
        shown = display_price([Money(p.amount, p.currency) for p in facts.base_prices])
        rows.append(
            {
                "sku": facts.sku,
                "price_amount": shown.amount if shown else None,
                "price_currency": shown.currency if shown else None,
                "price_seq": event.sequence,
                "updated_at": now,
            }
        )
    await store.apply_newer(uow.connection, store.PRICE, rows)


async def on_stock_changed(events: Sequence[Event], uow: UnitOfWork) -> None:
    now = datetime.now(UTC)
    rows = []
    for event in events:
        facts = StockFacts.model_validate(event.data)
        rows.append(
            {
                "sku": facts.sku,
                "available": facts.available,
                "stock_seq": event.sequence,
                "updated_at": now,
            }
        )
    await store.apply_newer(uow.connection, store.STOCK, rows)


async def on_categories(events: Sequence[Event], uow: UnitOfWork) -> None:
    rows = []
    for event in events:
        facts = CategoryFacts.model_validate(event.data)
        rows.append(
            {
                "key": facts.key,
                "name": facts.name,
                "parent": facts.parent,
                "position": facts.position,
                "seq": event.sequence,
            }
        )
    await store.apply_newer(uow.connection, store.CATEGORY, rows)


def _placements(*, assigned: bool) -> Batched:
    async def on_placements(events: Sequence[Event], uow: UnitOfWork) -> None:
        rows = []
        for event in events:
            facts = PlacementFacts.model_validate(event.data)
            rows.append(
                {
                    "category_key": facts.category,
                    "sku": facts.sku,
                    "position": facts.position,
                    "assigned": assigned,
                    "seq": event.sequence,
                }
            )
        await store.apply_newer(uow.connection, store.PLACEMENT, rows)

    return Batched(on_placements)


HANDLERS: dict[str, Handler] = {
    "product.created": Batched(on_products),
    "product.updated": Batched(on_products),
    "product.recalled": Batched(on_products),
    "pricing.price_changed": Batched(on_prices_changed),
    "inventory.stock_changed": Batched(on_stock_changed),
    "category.created": Batched(on_categories),
    "category.updated": Batched(on_categories),
    "category.product_assigned": _placements(assigned=True),
    "category.product_unassigned": _placements(assigned=False),
}
