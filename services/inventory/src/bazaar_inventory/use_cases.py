"""What the inventory service does, one keyword-only function per use case (the API only parses).

API v1, API v2 and the expiry job all change stock through these functions, so every change,
whoever makes it, bumps the SKU's version first (see store.py, rule 1) and emits
`inventory.stock_changed.v1` in the same transaction, with `sequence` = that version. They take
`units`/`reads` over the `Stock` protocol below, so unit tests run them on an in-memory fake.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from bazaar_chassis import (
    Clock,
    Reads,
    Unavailable,
    Units,
    Work,
    check_sku,
    new_id,
    parse_skus,
    utc_now,
)
from bazaar_inventory import domain, events
from bazaar_inventory.domain import (
    HoldStatus,
    Refusal,
    Reservation,
    ReservationStatus,
    StockSummary,
)


class Stock(Protocol):
    """The inventory store as the use cases need it (`store.InventoryStore` in production)."""

    async def bump_version(
        self, sku: str, *, now: datetime, expected: int | None = None, create: bool = False
    ) -> int: ...
    async def set_on_hand(self, *, sku: str, location: str, quantity: int) -> None: ...
    async def reserve_best_location(self, *, sku: str, quantity: int) -> str | None: ...
    async def unreserve(self, *, sku: str, location: str, quantity: int) -> None: ...
    async def summaries(self, skus: list[str]) -> list[StockSummary]: ...
    async def summary(self, sku: str) -> StockSummary | None: ...
    async def insert_reservation(self, reservation: Reservation) -> None: ...
    async def get_reservation(self, reservation_id: str) -> Reservation | None: ...
    async def settle_reservation(
        self, reservation_id: str, *, status: ReservationStatus, now: datetime
    ) -> bool: ...
    async def due_reservations(self, *, now: datetime, limit: int) -> list[str]: ...
    async def order_reservations(self, order_id: str) -> list[Reservation]: ...
    async def take_reserved(self, *, sku: str, location: str, quantity: int) -> None: ...
    async def order_hold(self, order_id: str) -> HoldStatus | None: ...
    async def open_order_hold(
        self, order_id: str, *, status: HoldStatus, now: datetime
    ) -> bool: ...
    async def close_order_hold(
        self, order_id: str, *, status: HoldStatus, now: datetime
    ) -> int | None: ...
    async def lapse_order_hold(self, order_id: str, *, now: datetime) -> int | None: ...
    async def sku_reservations(self, sku: str) -> list[Reservation]: ...
    async def quarantine_reason(self, sku: str) -> str | None: ...
    async def quarantine(self, sku: str, *, reason: str, now: datetime) -> bool: ...


class _AlreadySettled(Exception):
    """Raised inside a unit of work to roll back a version bump that turned out unnecessary."""


async def announce(work: Work[Stock], sku: str) -> StockSummary:
    """Read the SKU's stock as this transaction leaves it and stage the event saying so."""
    summary = await work.store.summary(sku)
    assert summary is not None, f"{sku} was changed in this transaction, so it exists"
    work.emit(
        events.STOCK_CHANGED,
        subject=sku,
        sequence=summary.version,
        data=events.stock_changed(summary),
    )
    return summary


async def set_stock(
    *,
    units: Units[Stock],
    sku: str,
    location: str,
    quantity: int,
    expected_version: int | None,
    clock: Clock = utc_now,
) -> StockSummary:
    """Set on_hand of `sku` at `location` (created if new); 409 if below reserved or stale."""
    check_sku(sku)
    domain.check_location(location)
    domain.check_quantity(quantity)
    now = clock()
    async with units() as work:
        await work.store.bump_version(sku, now=now, expected=expected_version, create=True)
        await work.store.set_on_hand(sku=sku, location=location, quantity=quantity)
        return await announce(work, sku)


async def stock_of(*, reads: Reads[Stock], sku: str) -> StockSummary:
    """All stock of one SKU (404 if it was never stocked)."""
    async with reads() as store:
        summary = await store.summary(sku)
    if summary is None:
        raise domain.SkuNotStocked(sku)
    return summary


async def stock_of_many(*, reads: Reads[Stock], skus: str) -> list[StockSummary]:
    """Stock of the comma-separated `skus`, in request order; never-stocked ones left out."""
    wanted = parse_skus(skus)
    async with reads() as store:
        return await store.summaries(wanted)


async def reserve(
    *,
    units: Units[Stock],
    sku: str,
    quantity: int,
    reference: str,
    ttl_seconds: int,
    clock: Clock = utc_now,
) -> Reservation:
    """Hold `quantity` units of `sku` in the one location with the most available (409 if none)."""
    check_sku(sku)
    domain.check_reservation_quantity(quantity)
    now = clock()
    expires_at = domain.reservation_expiry(now, ttl_seconds)
    async with units() as work:
        reservation = await _hold(
            work, sku=sku, quantity=quantity, reference=reference, expires_at=expires_at, now=now
        )
        await announce(work, sku)
    return reservation


async def _hold(
    work: Work[Stock],
    *,
    sku: str,
    quantity: int,
    reference: str,
    expires_at: datetime,
    now: datetime,
) -> Reservation:
    """Hold units in one conditional UPDATE (SkuNotStocked, or OutOfStock rolling back the bump)."""
    await work.store.bump_version(sku, now=now)  # 404 if never stocked
    if (why := await work.store.quarantine_reason(sku)) is not None:
        raise domain.Quarantined(sku=sku, requested=quantity, reason=why)
    location = await work.store.reserve_best_location(sku=sku, quantity=quantity)
    if location is None:
        current = await work.store.summary(sku)
        assert current is not None
        raise domain.out_of_stock(current, quantity)
    reservation = Reservation(
        id=new_id(),
        sku=sku,
        location=location,
        quantity=quantity,
        reference=reference,
        status=ReservationStatus.ACTIVE,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    await work.store.insert_reservation(reservation)
    return reservation


async def reservation(*, reads: Reads[Stock], reservation_id: str) -> Reservation:
    async with reads() as store:
        found = await store.get_reservation(reservation_id)
    if found is None:
        raise domain.ReservationNotFound(reservation_id)
    return found


async def release(
    *, units: Units[Stock], reservation_id: str, clock: Clock = utc_now
) -> Reservation:
    """Let go of an active reservation: its units become available again (409 if not active)."""
    now = clock()
    async with units() as work:
        found = await work.store.get_reservation(reservation_id)
        if found is None:
            raise domain.ReservationNotFound(reservation_id)
        domain.check_releasable(found)
        await work.store.bump_version(found.sku, now=now)
        settled = await work.store.settle_reservation(
            reservation_id, status=ReservationStatus.RELEASED, now=now
        )
        if not settled:  # expired or released by another instance since we read it
            current = await work.store.get_reservation(reservation_id)
            assert current is not None
            raise domain.ReservationNotActive(reservation_id, current.status)
        await work.store.unreserve(sku=found.sku, location=found.location, quantity=found.quantity)
        await announce(work, found.sku)
    return replace(found, status=ReservationStatus.RELEASED, updated_at=now)


async def expire_due(*, units: Units[Stock], reads: Reads[Stock], now: datetime, limit: int) -> int:
    """Expire up to `limit` reservations due at `now`; returns how many this instance expired."""
    async with reads() as store:
        due = await store.due_reservations(now=now, limit=limit)
    expired = 0
    for reservation_id in due:
        if await expire(units=units, reservation_id=reservation_id, now=now):
            expired += 1
    return expired


async def expire(*, units: Units[Stock], reservation_id: str, now: datetime) -> bool:
    """Expire one reservation whose time is up; False if it was settled by someone else first.

    Safe to run from every instance at once: only the transaction whose conditional settle wins
    gives the units back and announces it; the others roll back their version bump.
    """
    try:
        async with units() as work:
            found = await work.store.get_reservation(reservation_id)
            if found is None or found.status != ReservationStatus.ACTIVE:
                return False
            await work.store.bump_version(found.sku, now=now)
            settled = await work.store.settle_reservation(
                reservation_id,
                status=ReservationStatus.EXPIRED,
                now=now,
            )
            if not settled:
                raise _AlreadySettled
            await work.store.unreserve(
                sku=found.sku, location=found.location, quantity=found.quantity
            )
            await announce(work, found.sku)
            hold_version = await work.store.lapse_order_hold(found.reference, now=now)
            if hold_version is not None:  # it was held for an order: tell the order it lapsed
                work.emit(
                    events.RESERVATION_EXPIRED,
                    subject=found.reference,
                    sequence=hold_version,
                    data={"order_id": found.reference},
                )
    except _AlreadySettled:
        return False
    return True


# --- reactions to the checkout (ADR 6): an order's lines are held all or none -------------------


class _Refused(Exception):
    """Raised inside a unit of work to roll back an order's partial holds."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


class _AlreadyDecided(Exception):
    """Raised inside a unit of work when another delivery recorded the order's outcome first."""


class OrderBeingReserved(Unavailable):
    """An order was settled while a concurrent delivery was still reserving it: retry later."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} was reserved while it was being settled; retrying")


async def reserve_order(
    *,
    units: Units[Stock],
    order_id: str,
    lines: list[tuple[str, int]],
    ttl_seconds: int = domain.DEFAULT_TTL_SECONDS,
    clock: Clock = utc_now,
) -> HoldStatus | None:
    """React to order.placed: hold every line for the order, or none of them.

    One unit of work of conditional updates (never read-then-write); it announces
    `inventory.stock_reserved`, or, if a line cannot be supplied, rolls back and announces
    `inventory.reservation_failed` instead. None if the order already has an outcome.
    """
    now = clock()
    expires_at = domain.reservation_expiry(now, ttl_seconds)
    try:
        wanted = domain.order_quantities(lines)
        if isinstance(wanted, Refusal):
            raise _Refused(wanted)
        async with units() as work:
            if await work.store.order_hold(order_id) is not None:
                return None
            held = [
                await _hold_line(work, order_id, sku, quantity, expires_at=expires_at, now=now)
                for sku, quantity in wanted
            ]
            if not await work.store.open_order_hold(order_id, status=HoldStatus.RESERVED, now=now):
                raise _AlreadyDecided
            for sku, _ in wanted:
                await announce(work, sku)
            work.emit(
                events.STOCK_RESERVED,
                subject=order_id,
                sequence=1,
                data=events.stock_reserved(order_id, held, expires_at),
            )
        return HoldStatus.RESERVED
    except _AlreadyDecided:
        return None
    except _Refused as refused:
        async with units() as work:
            if not await work.store.open_order_hold(order_id, status=HoldStatus.FAILED, now=now):
                return None
            work.emit(
                events.RESERVATION_FAILED,
                subject=order_id,
                sequence=1,
                data=events.reservation_failed(order_id, refused.refusal),
            )
        return HoldStatus.FAILED


async def _hold_line(
    work: Work[Stock],
    order_id: str,
    sku: str,
    quantity: int,
    *,
    expires_at: datetime,
    now: datetime,
) -> Reservation:
    try:
        return await _hold(
            work, sku=sku, quantity=quantity, reference=order_id, expires_at=expires_at, now=now
        )
    except domain.SkuNotStocked:
        raise _Refused(Refusal(sku=sku, requested=quantity, available=0)) from None
    except domain.OutOfStock as short:
        raise _Refused(Refusal(sku=sku, requested=quantity, available=short.available)) from None


async def settle_order(
    *, units: Units[Stock], order_id: str, outcome: HoldStatus, clock: Clock = utc_now
) -> int:
    """React to order.confirmed (`committed`: the units leave the shelf) or order.cancelled
    (`released`: they become available again). Returns how many reservations it settled.

    A settle that arrives before the order.placed it follows records the outcome, so the late
    order.placed reserves nothing.
    """
    if outcome not in (HoldStatus.COMMITTED, HoldStatus.RELEASED):
        raise ValueError(f"an order is settled as committed or released, not {outcome}")
    committing = outcome == HoldStatus.COMMITTED
    status = ReservationStatus.COMMITTED if committing else ReservationStatus.RELEASED
    now = clock()
    settled = 0
    async with units() as work:
        held = await work.store.order_reservations(order_id)
        skus = sorted({r.sku for r in held})
        for sku in skus:  # lock order: versions first (store.py, rule 1)
            await work.store.bump_version(sku, now=now)
        for r in held:
            if not await work.store.settle_reservation(r.id, status=status, now=now):
                continue  # expired meanwhile: the expiry gave its units back
            if committing:
                await work.store.take_reserved(sku=r.sku, location=r.location, quantity=r.quantity)
            else:
                await work.store.unreserve(sku=r.sku, location=r.location, quantity=r.quantity)
            settled += 1
        closed = await work.store.close_order_hold(order_id, status=outcome, now=now)
        if closed is not None and await work.store.order_reservations(order_id):
            raise OrderBeingReserved(order_id)  # reserved concurrently: retry and settle those
        for sku in skus:
            await announce(work, sku)
    return settled
