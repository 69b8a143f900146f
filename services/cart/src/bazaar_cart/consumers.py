"""What the cart does with the events it consumes, on one screen: it keeps its copy of
promotions and codes (newest `sequence` wins), closes the cart an order was placed from, and
takes a recalled product out of active carts (recalls.py)."""

from __future__ import annotations

from bazaar_cart import recalls, use_cases
from bazaar_cart.events import CodeFacts, OrderPlaced, ProductRecalled, PromotionFacts
from bazaar_cart.store import CartStore
from bazaar_chassis import Event, Handler, UnitOfWork


class _Work:
    """The consumer's unit of work as a use case's `Work[Carts]`."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.store = CartStore(uow.connection)
        self.emit = uow.emit


async def on_promotion_changed(event: Event, uow: UnitOfWork) -> None:
    facts = PromotionFacts.model_validate(event.data)
    await CartStore(uow.connection).keep_promotion(facts, event.sequence)


async def on_code_changed(event: Event, uow: UnitOfWork) -> None:
    facts = CodeFacts.model_validate(event.data)
    await CartStore(uow.connection).keep_code(facts, event.sequence)


async def on_order_placed(event: Event, uow: UnitOfWork) -> None:
    placed = OrderPlaced.model_validate(event.data)
    await use_cases.record_order(work=_Work(uow), cart_id=placed.cart_id, order_id=placed.order_id)


async def on_product_recalled(event: Event, uow: UnitOfWork) -> None:
    recalled = ProductRecalled.model_validate(event.data)
    await recalls.remove_recalled(
        work=_Work(uow), sku=recalled.sku, reason=recalled.reason, sequence=event.sequence
    )


HANDLERS: dict[str, Handler] = {
    "promotion.promotion_changed": on_promotion_changed,
    "promotion.code_changed": on_code_changed,
    "order.placed": on_order_placed,
    "product.recalled": on_product_recalled,
}
