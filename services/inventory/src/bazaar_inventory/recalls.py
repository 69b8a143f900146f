"""How inventory reacts to a product recall (issue 10): the SKU's stock is quarantined, kept
but never promised again, and whatever was promised of it is let go."""

from __future__ import annotations

from bazaar_chassis import Clock, Units, utc_now
from bazaar_inventory import events
from bazaar_inventory.domain import ReservationStatus, StockSummary
from bazaar_inventory.use_cases import Stock, announce


async def quarantine_recalled(
    *, units: Units[Stock], sku: str, reason: str, clock: Clock = utc_now
) -> StockSummary | None:
    """React to product.recalled: quarantine `sku` with the recall's reason (available 0,
    on_hand kept), release its active reservations, and announce `inventory.stock_changed` and
    `inventory.stock_quarantined`. None if it was quarantined already (a duplicate recall).

    A SKU never stocked is quarantined too, so stock set later is never available.
    """
    now = clock()
    async with units() as work:
        if await work.store.quarantine_reason(sku) is not None:
            return None
        await work.store.bump_version(sku, now=now, create=True)  # locks the SKU (store rule 1)
        if not await work.store.quarantine(sku, reason=reason, now=now):
            return None  # another instance quarantined it meanwhile
        released = []
        for held in await work.store.sku_reservations(sku):
            if await work.store.settle_reservation(
                held.id, status=ReservationStatus.RELEASED, now=now
            ):
                await work.store.unreserve(sku=sku, location=held.location, quantity=held.quantity)
                released.append(held)
        summary = await announce(work, sku)
        work.emit(
            events.STOCK_QUARANTINED,
            subject=sku,
            sequence=summary.version,
            data=events.stock_quarantined(summary, reason=reason, released=released),
        )
    return summary
