"""How the cart reacts to a product recall (issue 10): the SKU leaves every active cart, and
each cart keeps a notice telling its owner why."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bazaar_cart import domain, events
from bazaar_cart.domain import Cart
from bazaar_chassis import Clock, Work, utc_now


class RecallCarts(Protocol):
    """What a recall needs of the cart store (`store.CartStore` in production)."""

    async def active_with(self, sku: str) -> list[Cart]: ...
    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool: ...
    async def save(self, cart: Cart) -> None: ...


async def remove_recalled(
    *, work: Work[RecallCarts], sku: str, reason: str, sequence: int, clock: Clock = utc_now
) -> list[Cart] | None:
    """React to product.recalled: take `sku` out of every active cart with a notice, and
    announce `cart.recalled_lines_removed` once. None for a recall already handled."""
    now = clock()
    if not await work.store.mark_recalled(sku, reason=reason, now=now):
        return None
    changed = []
    for cart in await work.store.active_with(sku):
        removed = domain.recall_line(cart, sku, reason=reason, now=now)
        if removed is not None:
            await work.store.save(removed)
            changed.append(removed)
    work.emit(
        events.RECALLED_LINES_REMOVED,
        subject=sku,
        sequence=sequence,
        data=events.recalled_lines_removed(sku=sku, reason=reason, carts=changed),
    )
    return changed
