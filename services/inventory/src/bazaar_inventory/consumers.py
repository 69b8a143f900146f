"""How inventory reacts to the checkout (ADR 6): a placed order is reserved all or none, a
confirmed one takes its units off the shelf, a cancelled one gives them back; a recalled
product's stock is quarantined (recalls.py)."""

from __future__ import annotations

from bazaar_chassis import Event, Handler, UnitOfWork, units_within
from bazaar_inventory import recalls, use_cases
from bazaar_inventory.domain import HoldStatus
from bazaar_inventory.events import OrderPlacedFacts, OrderSettledFacts, ProductRecalledFacts
from bazaar_inventory.store import InventoryStore


async def on_order_placed(event: Event, uow: UnitOfWork) -> None:
    facts = OrderPlacedFacts.model_validate(event.data)
    await use_cases.reserve_order(
        units=units_within(uow, InventoryStore),
        order_id=facts.order_id,
        lines=[(line.sku, line.quantity) for line in facts.lines],
    )


def settling(outcome: HoldStatus) -> Handler:
    async def settle(event: Event, uow: UnitOfWork) -> None:
        facts = OrderSettledFacts.model_validate(event.data)
        await use_cases.settle_order(
            units=units_within(uow, InventoryStore), order_id=facts.order_id, outcome=outcome
        )

    return settle


async def on_product_recalled(event: Event, uow: UnitOfWork) -> None:
    facts = ProductRecalledFacts.model_validate(event.data)
    await recalls.quarantine_recalled(
        units=units_within(uow, InventoryStore), sku=facts.sku, reason=facts.reason
    )


HANDLERS: dict[str, Handler] = {
    "order.placed": on_order_placed,
    "order.confirmed": settling(HoldStatus.COMMITTED),
    "order.cancelled": settling(HoldStatus.RELEASED),
    "product.recalled": on_product_recalled,
}
