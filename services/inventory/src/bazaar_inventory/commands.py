"""The state changes of inventory, each one unit of work that also announces the new stock.

API v1, API v2 and the expiry job all change stock through these functions, so every change,
whoever makes it, bumps the SKU's version first (see store.py, rule 1) and emits
`inventory.stock_changed.v1` in the same transaction, with `sequence` = that version.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bazaar_chassis import Runtime, UnitOfWork
from bazaar_chassis.envelope import new_event_id
from bazaar_inventory import domain, events, store
from bazaar_inventory.domain import Reservation, ReservationStatus, StockSummary


class _AlreadySettled(Exception):
    """Raised inside a unit of work to roll back a version bump that turned out unnecessary."""


async def _announce(uow: UnitOfWork, sku: str) -> StockSummary:
    """Read the SKU's stock as this transaction leaves it and stage the event saying so."""
    summary = await store.summary(uow.connection, sku)
    assert summary is not None, f"{sku} was changed in this transaction, so it exists"
    uow.emit(
        events.STOCK_CHANGED,
        subject=sku,
        sequence=summary.version,
        data=events.stock_changed(summary),
    )
    return summary


async def set_stock(
    runtime: Runtime,
    *,
    sku: str,
    location: str,
    quantity: int,
    expected_version: int | None,
    now: datetime,
) -> StockSummary:
    """Set on_hand of `sku` at `location` (created if new); 409 if below reserved or stale."""
    domain.check_sku(sku)
    domain.check_location(location)
    domain.check_quantity(quantity)
    async with runtime.unit_of_work() as uow:
        await store.bump_version(
            uow.connection, sku, now=now, expected=expected_version, create=True
        )
        await store.set_on_hand(uow.connection, sku=sku, location=location, quantity=quantity)
        return await _announce(uow, sku)


async def reserve(
    runtime: Runtime,
    *,
    sku: str,
    quantity: int,
    reference: str,
    ttl_seconds: int,
    now: datetime,
) -> Reservation:
    """Hold `quantity` units of `sku` in the one location with the most available (409 if none)."""
    domain.check_sku(sku)
    domain.check_reservation_quantity(quantity)
    expires_at = domain.reservation_expiry(now, ttl_seconds)
    async with runtime.unit_of_work() as uow:
        await store.bump_version(uow.connection, sku, now=now)  # 404 if never stocked
        location = await store.reserve_best_location(uow.connection, sku=sku, quantity=quantity)
        if location is None:
            current = await store.summary(uow.connection, sku)
            assert current is not None
            raise domain.out_of_stock(current, quantity)  # rolls the version bump back
        reservation = Reservation(
            id=new_event_id(),
            sku=sku,
            location=location,
            quantity=quantity,
            reference=reference,
            status=ReservationStatus.ACTIVE,
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
        await store.insert_reservation(uow.connection, reservation)
        await _announce(uow, sku)
    return reservation


async def release(runtime: Runtime, reservation_id: str, *, now: datetime) -> Reservation:
    """Let go of an active reservation: its units become available again (409 if not active)."""
    async with runtime.unit_of_work() as uow:
        found = await store.get_reservation(uow.connection, reservation_id)
        if found is None:
            raise domain.ReservationNotFound(reservation_id)
        domain.check_releasable(found)
        await store.bump_version(uow.connection, found.sku, now=now)
        settled = await store.settle_reservation(
            uow.connection, reservation_id, status=ReservationStatus.RELEASED, now=now
        )
        if not settled:  # expired or released by another instance since we read it
            current = await store.get_reservation(uow.connection, reservation_id)
            assert current is not None
            raise domain.ReservationNotActive(reservation_id, current.status)
        await store.unreserve(
            uow.connection, sku=found.sku, location=found.location, quantity=found.quantity
        )
        await _announce(uow, found.sku)
    return replace(found, status=ReservationStatus.RELEASED, updated_at=now)


async def expire(runtime: Runtime, reservation_id: str, *, now: datetime) -> bool:
    """Expire one reservation whose time is up; False if it was settled by someone else first.

    Safe to run from every instance at once: only the transaction whose conditional settle wins
    gives the units back and announces it; the others roll back their version bump.
    """
    try:
        async with runtime.unit_of_work() as uow:
            found = await store.get_reservation(uow.connection, reservation_id)
            if found is None or found.status != ReservationStatus.ACTIVE:
                return False
            await store.bump_version(uow.connection, found.sku, now=now)
            settled = await store.settle_reservation(
                uow.connection,
                reservation_id,
                status=ReservationStatus.EXPIRED,
                now=now,
                only_if_due=True,
            )
            if not settled:
                raise _AlreadySettled
            await store.unreserve(
                uow.connection, sku=found.sku, location=found.location, quantity=found.quantity
            )
            await _announce(uow, found.sku)
    except _AlreadySettled:
        return False
    return True
