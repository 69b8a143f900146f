"""How the order reacts to a product recall (issue 10): every open or confirmed order with the
recalled SKU that has not shipped is cancelled, saying why; payment refunds or voids it."""

from __future__ import annotations

from bazaar_chassis import Clock, Units, utc_now
from bazaar_order import domain, use_cases
from bazaar_order.domain import Fact, Order
from bazaar_order.use_cases import Orders


async def cancel_recalled(
    *, units: Units[Orders], sku: str, reason: str, clock: Clock = utc_now
) -> list[Order]:
    """Cancel the unshipped orders containing `sku` (the whole order, see README "Recalls"),
    each announcing `order.cancelled` with reason "product recalled: SKU (why)". Returns them;
    a shipped order is left alone, and a second recall finds nothing left to cancel."""
    async with units() as work:
        affected = [order.id for order in await work.store.unshipped_with(sku)]
    why = domain.recalled(sku, reason)
    cancelled = []
    for order_id in affected:
        moved = await use_cases.record_fact(
            units=units, order_id=order_id, fact=Fact.PRODUCT_RECALLED, reason=why, clock=clock
        )
        if moved is not None and moved.status == domain.OrderStatus.CANCELLED:
            cancelled.append(moved)
    return cancelled
