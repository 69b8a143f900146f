"""How each consumed fact updates the read model; one small handler per event name."""

from __future__ import annotations

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
from bazaar_chassis.consumer import Handler


async def on_product(event: Event, uow: UnitOfWork) -> None:
    facts = ProductFacts.model_validate(event.data)
    await store.apply_product(uow.connection, facts, seq=event.sequence)


async def on_price_changed(event: Event, uow: UnitOfWork) -> None:
    facts = PriceFacts.model_validate(event.data)
    shown = display_price([Money(p.amount, p.currency) for p in facts.base_prices])
    await store.apply_price(uow.connection, facts, shown=shown, seq=event.sequence)


async def on_stock_changed(event: Event, uow: UnitOfWork) -> None:
    facts = StockFacts.model_validate(event.data)
    await store.apply_stock(
        uow.connection, sku=facts.sku, available=facts.available, seq=event.sequence
    )


async def on_category(event: Event, uow: UnitOfWork) -> None:
    facts = CategoryFacts.model_validate(event.data)
    await store.apply_category(uow.connection, facts, seq=event.sequence)


async def on_product_assigned(event: Event, uow: UnitOfWork) -> None:
    facts = PlacementFacts.model_validate(event.data)
    await store.apply_placement(uow.connection, facts, assigned=True, seq=event.sequence)


async def on_product_unassigned(event: Event, uow: UnitOfWork) -> None:
    facts = PlacementFacts.model_validate(event.data)
    await store.apply_placement(uow.connection, facts, assigned=False, seq=event.sequence)


HANDLERS: dict[str, Handler] = {
    "product.created": on_product,
    "product.updated": on_product,
    "product.recalled": on_product,
    "pricing.price_changed": on_price_changed,
    "inventory.stock_changed": on_stock_changed,
    "category.created": on_category,
    "category.updated": on_category,
    "category.product_assigned": on_product_assigned,
    "category.product_unassigned": on_product_unassigned,
}
