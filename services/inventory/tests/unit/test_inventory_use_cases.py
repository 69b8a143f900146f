"""Inventory use cases on an in-memory store: stock, reservations, release and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import InvalidSku, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_inventory import use_cases
from bazaar_inventory.domain import (
    LocationStock,
    OutOfStock,
    Reservation,
    ReservationNotActive,
    ReservationStatus,
    SkuNotStocked,
    StockBelowReserved,
    StockSummary,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeInventoryStore:
    """The `Stock` protocol over dicts, with the same refusals as the SQL store."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.levels: dict[tuple[str, str], LocationStock] = {}
        self.reservations: dict[str, Reservation] = {}

    async def bump_version(
        self, sku: str, *, now: datetime, expected: int | None = None, create: bool = False
    ) -> int:
        current = self.versions.get(sku, 0)
        if current == 0 and not create:
            raise SkuNotStocked(sku)
        if expected is not None and expected != current:
            raise StaleVersion(resource=sku, expected=expected, actual=current)
        self.versions[sku] = current + 1
        return current + 1

    async def set_on_hand(self, *, sku: str, location: str, quantity: int) -> None:
        level = self.levels.get((sku, location), LocationStock(location, 0, 0))
        if quantity < level.reserved:
            raise StockBelowReserved(
                sku=sku, location=location, on_hand=quantity, reserved=level.reserved
            )
        self.levels[sku, location] = replace(level, on_hand=quantity)

    async def reserve_best_location(self, *, sku: str, quantity: int) -> str | None:
        fitting = [
            lv for (s, _), lv in self.levels.items() if s == sku and lv.available >= quantity
        ]
        if not fitting:
            return None
        best = max(fitting, key=lambda lv: (lv.available, lv.location))
        self.levels[sku, best.location] = replace(best, reserved=best.reserved + quantity)
        return best.location

    async def unreserve(self, *, sku: str, location: str, quantity: int) -> None:
        level = self.levels[sku, location]
        self.levels[sku, location] = replace(level, reserved=level.reserved - quantity)

    async def summaries(self, skus: list[str]) -> list[StockSummary]:
        return [
            StockSummary(
                sku=sku,
                version=self.versions[sku],
                locations=tuple(lv for (s, _), lv in sorted(self.levels.items()) if s == sku),
            )
            for sku in skus
            if sku in self.versions
        ]

    async def summary(self, sku: str) -> StockSummary | None:
        found = await self.summaries([sku])
        return found[0] if found else None

    async def insert_reservation(self, reservation: Reservation) -> None:
        self.reservations[reservation.id] = reservation

    async def get_reservation(self, reservation_id: str) -> Reservation | None:
        return self.reservations.get(reservation_id)

    async def settle_reservation(
        self, reservation_id: str, *, status: ReservationStatus, now: datetime
    ) -> bool:
        found = self.reservations[reservation_id]
        early = status == ReservationStatus.EXPIRED and found.expires_at > now
        if found.status != ReservationStatus.ACTIVE or early:
            return False
        self.reservations[reservation_id] = replace(found, status=status, updated_at=now)
        return True

    async def due_reservations(self, *, now: datetime, limit: int) -> list[str]:
        due = [
            r
            for r in self.reservations.values()
            if r.status == ReservationStatus.ACTIVE and r.expires_at <= now
        ]
        return [r.id for r in sorted(due, key=lambda r: r.expires_at)][:limit]


async def stocked(quantity: int = 10, sku: str = "COF-1") -> FakeUnits[FakeInventoryStore]:
    units = FakeUnits(FakeInventoryStore())
    await use_cases.set_stock(
        units=units, sku=sku, location="default", quantity=quantity, expected_version=None
    )
    return units


async def reserve(units: FakeUnits[FakeInventoryStore], quantity: int) -> Reservation:
    return await use_cases.reserve(
        units=units,
        sku="COF-1",
        quantity=quantity,
        reference="cart-1",
        ttl_seconds=60,
        clock=lambda: NOW,
    )


async def test_setting_stock_starts_the_sku_at_version_1_and_announces_it() -> None:
    units = await stocked(10)
    [event] = units.published
    assert (event.type, event.subject, event.sequence) == ("inventory.stock_changed.v1", "COF-1", 1)
    assert event.data["available"] == 10
    assert event.data["locations"] == [
        {"location": "default", "on_hand": 10, "reserved": 0, "available": 10}
    ]


async def test_a_stale_version_or_a_bad_sku_sets_nothing() -> None:
    units = await stocked(10)
    with pytest.raises(StaleVersion):
        await use_cases.set_stock(
            units=units, sku="COF-1", location="default", quantity=3, expected_version=7
        )
    with pytest.raises(InvalidSku):
        await use_cases.set_stock(
            units=units, sku="bad sku", location="default", quantity=3, expected_version=None
        )
    assert (await use_cases.stock_of(reads=units.reads, sku="COF-1")).on_hand == 10
    assert len(units.published) == 1


async def test_a_reservation_holds_units_until_it_is_released() -> None:
    units = await stocked(10)
    held = await reserve(units, 4)
    assert (held.status, held.expires_at) == (ReservationStatus.ACTIVE, NOW + timedelta(seconds=60))
    assert (await use_cases.stock_of(reads=units.reads, sku="COF-1")).available == 6
    released = await use_cases.release(units=units, reservation_id=held.id)
    assert released.status == ReservationStatus.RELEASED
    assert (await use_cases.stock_of(reads=units.reads, sku="COF-1")).available == 10
    assert [e.sequence for e in units.published] == [1, 2, 3]


async def test_reserving_more_than_is_available_is_refused_and_rolled_back() -> None:
    units = await stocked(3)
    with pytest.raises(OutOfStock, match="only 3 available"):
        await reserve(units, 4)
    summary = await use_cases.stock_of(reads=units.reads, sku="COF-1")
    assert (summary.version, summary.reserved) == (1, 0)


async def test_releasing_twice_is_a_conflict() -> None:
    units = await stocked(10)
    held = await reserve(units, 1)
    await use_cases.release(units=units, reservation_id=held.id)
    with pytest.raises(ReservationNotActive, match="already released"):
        await use_cases.release(units=units, reservation_id=held.id)


async def test_expiry_gives_back_only_what_is_due_and_only_once() -> None:
    units = await stocked(10)
    held = await reserve(units, 5)
    early = await use_cases.expire_due(units=units, reads=units.reads, now=NOW, limit=10)
    due = NOW + timedelta(seconds=60)
    first = await use_cases.expire_due(units=units, reads=units.reads, now=due, limit=10)
    again = await use_cases.expire(units=units, reservation_id=held.id, now=due)
    assert (early, first, again) == (0, 1, False)
    assert units.store.reservations[held.id].status == ReservationStatus.EXPIRED
    assert (await use_cases.stock_of(reads=units.reads, sku="COF-1")).available == 10


async def test_a_list_of_skus_leaves_out_the_never_stocked() -> None:
    units = await stocked(10)
    found = await use_cases.stock_of_many(reads=units.reads, skus="NEVER, COF-1")
    assert [s.sku for s in found] == ["COF-1"]
    with pytest.raises(SkuNotStocked):
        await use_cases.stock_of(reads=units.reads, sku="NEVER")


async def test_a_list_of_skus_is_checked_sku_by_sku_as_pricing_checks_it() -> None:
    units = await stocked(10)
    with pytest.raises(InvalidSku, match="'bad sku'"):
        await use_cases.stock_of_many(reads=units.reads, skus="COF-1, bad sku")
