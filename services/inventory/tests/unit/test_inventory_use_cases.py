"""Inventory use cases on an in-memory store: stock, reservations, release and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import InvalidSku, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_inventory import recalls, use_cases
from bazaar_inventory.domain import (
    HoldStatus,
    LocationStock,
    OutOfStock,
    Quarantined,
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
        self.holds: dict[str, tuple[HoldStatus, int]] = {}
        self.quarantines: dict[str, str] = {}

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
                locations=tuple(
                    replace(lv, quarantined=sku in self.quarantines)
                    for (s, _), lv in sorted(self.levels.items())
                    if s == sku
                ),
                quarantine=self.quarantines.get(sku),
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

    async def order_reservations(self, order_id: str) -> list[Reservation]:
        held = [
            r
            for r in self.reservations.values()
            if r.reference == order_id and r.status == ReservationStatus.ACTIVE
        ]
        return sorted(held, key=lambda r: (r.sku, r.id))

    async def take_reserved(self, *, sku: str, location: str, quantity: int) -> None:
        level = self.levels[sku, location]
        self.levels[sku, location] = LocationStock(
            location, level.on_hand - quantity, level.reserved - quantity
        )

    async def order_hold(self, order_id: str) -> HoldStatus | None:
        found = self.holds.get(order_id)
        return found[0] if found else None

    async def open_order_hold(self, order_id: str, *, status: HoldStatus, now: datetime) -> bool:
        if order_id in self.holds:
            return False
        self.holds[order_id] = (status, 1)
        return True

    async def close_order_hold(
        self, order_id: str, *, status: HoldStatus, now: datetime
    ) -> int | None:
        current, version = self.holds.get(order_id, (None, 0))
        if current not in (None, HoldStatus.RESERVED):
            return None
        self.holds[order_id] = (status, version + 1)
        return version + 1

    async def lapse_order_hold(self, order_id: str, *, now: datetime) -> int | None:
        current, version = self.holds.get(order_id, (None, 0))
        if current != HoldStatus.RESERVED:
            return None
        self.holds[order_id] = (HoldStatus.EXPIRED, version + 1)
        return version + 1

    async def sku_reservations(self, sku: str) -> list[Reservation]:
        held = [
            r
            for r in self.reservations.values()
            if r.sku == sku and r.status == ReservationStatus.ACTIVE
        ]
        return sorted(held, key=lambda r: (r.created_at, r.id))

    async def quarantine_reason(self, sku: str) -> str | None:
        return self.quarantines.get(sku)

    async def quarantine(self, sku: str, *, reason: str, now: datetime) -> bool:
        if sku in self.quarantines:
            return False
        self.quarantines[sku] = reason
        return True


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


# --- reactions to the checkout: an order's lines are held all or none --------------------------


async def two_skus(coffee: int = 10, tea: int = 5) -> FakeUnits[FakeInventoryStore]:
    units = await stocked(coffee, "COF-1")
    await use_cases.set_stock(
        units=units, sku="TEA-1", location="default", quantity=tea, expected_version=None
    )
    units.published.clear()
    return units


async def place(
    units: FakeUnits[FakeInventoryStore], order_id: str, lines: list[tuple[str, int]]
) -> HoldStatus | None:
    return await use_cases.reserve_order(
        units=units, order_id=order_id, lines=lines, ttl_seconds=60, clock=lambda: NOW
    )


async def available(units: FakeUnits[FakeInventoryStore], sku: str) -> int:
    return (await use_cases.stock_of(reads=units.reads, sku=sku)).available


async def test_a_placed_order_holds_every_line_and_says_where() -> None:
    units = await two_skus()
    assert await place(units, "o-1", [("TEA-1", 2), ("COF-1", 3), ("COF-1", 1)]) is not None
    assert (await available(units, "COF-1"), await available(units, "TEA-1")) == (6, 3)
    *changed, reserved = units.published
    assert [(e.type, e.subject) for e in changed] == [
        ("inventory.stock_changed.v1", "COF-1"),
        ("inventory.stock_changed.v1", "TEA-1"),
    ]
    assert (reserved.type, reserved.subject) == ("inventory.stock_reserved.v1", "o-1")
    assert reserved.data["lines"] == [
        {"sku": "COF-1", "quantity": 4, "location": "default"},
        {"sku": "TEA-1", "quantity": 2, "location": "default"},
    ]
    assert reserved.data["expires_at"] == "2026-03-01T12:01:00Z"


@pytest.mark.parametrize(
    ("lines", "refused"),
    [
        ([("COF-1", 2), ("TEA-1", 6)], {"sku": "TEA-1", "requested": 6, "available": 5}),
        ([("COF-1", 2), ("NEVER", 1)], {"sku": "NEVER", "requested": 1, "available": 0}),
        ([("COF-1", 0)], {"sku": "COF-1", "requested": 0, "available": 0}),
        ([("bad sku", 1)], {"sku": "bad sku", "requested": 1, "available": 0}),
    ],
)
async def test_an_order_that_cannot_be_supplied_holds_nothing_and_says_which_line(
    lines: list[tuple[str, int]], refused: dict[str, object]
) -> None:
    units = await two_skus()
    assert await place(units, "o-1", lines) == HoldStatus.FAILED
    assert (await available(units, "COF-1"), await available(units, "TEA-1")) == (10, 5)
    [failed] = units.published
    assert (failed.type, failed.subject) == ("inventory.reservation_failed.v1", "o-1")
    assert failed.data == {"order_id": "o-1", **refused}
    assert await place(units, "o-1", [("COF-1", 1)]) is None  # its outcome is final


async def test_a_repeated_order_placed_holds_nothing_more() -> None:
    units = await two_skus()
    await place(units, "o-1", [("COF-1", 3)])
    published = len(units.published)
    assert await place(units, "o-1", [("COF-1", 3)]) is None
    assert (await available(units, "COF-1"), len(units.published)) == (7, published)


async def test_a_confirmed_order_takes_its_units_off_the_shelf_once() -> None:
    units = await two_skus()
    await place(units, "o-1", [("COF-1", 3), ("TEA-1", 1)])
    settle = use_cases.settle_order
    assert await settle(units=units, order_id="o-1", outcome=HoldStatus.COMMITTED) == 2
    assert await settle(units=units, order_id="o-1", outcome=HoldStatus.COMMITTED) == 0
    coffee = await use_cases.stock_of(reads=units.reads, sku="COF-1")
    assert (coffee.on_hand, coffee.reserved, coffee.available) == (7, 0, 7)
    assert units.store.holds["o-1"] == (HoldStatus.COMMITTED, 2)


async def test_a_cancelled_order_gives_its_units_back() -> None:
    units = await two_skus()
    await place(units, "o-1", [("COF-1", 3)])
    await use_cases.settle_order(units=units, order_id="o-1", outcome=HoldStatus.RELEASED)
    coffee = await use_cases.stock_of(reads=units.reads, sku="COF-1")
    assert (coffee.on_hand, coffee.available) == (10, 10)
    assert units.published[-1].data["available"] == 10


async def test_a_cancellation_that_overtakes_its_order_keeps_the_late_order_from_reserving() -> (
    None
):
    units = await two_skus()
    settled = await use_cases.settle_order(units=units, order_id="o-1", outcome=HoldStatus.RELEASED)
    assert (settled, units.published) == (0, [])
    assert await place(units, "o-1", [("COF-1", 3)]) is None
    assert await available(units, "COF-1") == 10


async def test_an_orders_lapsed_hold_is_announced_once_and_its_units_come_back() -> None:
    units = await two_skus()
    await place(units, "o-1", [("COF-1", 3), ("TEA-1", 1)])
    due = NOW + timedelta(seconds=60)
    assert await use_cases.expire_due(units=units, reads=units.reads, now=due, limit=10) == 2
    expired = [e for e in units.published if e.type == "inventory.reservation_expired.v1"]
    assert [(e.subject, e.sequence, e.data) for e in expired] == [("o-1", 2, {"order_id": "o-1"})]
    assert (await available(units, "COF-1"), await available(units, "TEA-1")) == (10, 5)
    late = await use_cases.settle_order(units=units, order_id="o-1", outcome=HoldStatus.COMMITTED)
    assert late == 0


async def test_a_reservation_made_through_the_api_lapses_without_an_order_event() -> None:
    units = await stocked(10)
    await reserve(units, 2)
    await use_cases.expire_due(
        units=units, reads=units.reads, now=NOW + timedelta(seconds=60), limit=10
    )
    assert "inventory.reservation_expired.v1" not in {e.type for e in units.published}


# --- a recall quarantines the SKU (issue 10) ----------------------------------------------------


async def test_a_recall_quarantines_the_stock_keeps_on_hand_and_releases_reservations() -> None:
    units = await stocked(10)
    held = await reserve(units, 3)
    units.published.clear()

    summary = await recalls.quarantine_recalled(
        units=units, sku="COF-1", reason="glass shards", clock=lambda: NOW
    )

    assert summary is not None
    assert (summary.on_hand, summary.reserved, summary.available) == (10, 0, 0)
    assert summary.quarantine == "glass shards"
    assert units.store.reservations[held.id].status == ReservationStatus.RELEASED
    changed, quarantined = units.published
    assert (changed.type, changed.data["available"]) == ("inventory.stock_changed.v1", 0)
    assert quarantined.type == "inventory.stock_quarantined.v1"
    assert quarantined.data == {
        "sku": "COF-1",
        "reason": "glass shards",
        "on_hand": 10,
        "released": [{"id": held.id, "reference": "cart-1", "quantity": 3}],
    }


async def test_a_second_recall_of_a_quarantined_sku_changes_nothing() -> None:
    units = await stocked(10)
    await recalls.quarantine_recalled(units=units, sku="COF-1", reason="first", clock=lambda: NOW)
    units.published.clear()

    again = await recalls.quarantine_recalled(
        units=units, sku="COF-1", reason="second", clock=lambda: NOW
    )

    assert again is None
    assert units.published == []
    assert units.store.quarantines == {"COF-1": "first"}


async def test_quarantined_stock_cannot_be_reserved_even_after_restocking() -> None:
    units = await stocked(10)
    await recalls.quarantine_recalled(units=units, sku="COF-1", reason="mould", clock=lambda: NOW)
    await use_cases.set_stock(
        units=units, sku="COF-1", location="default", quantity=50, expected_version=None
    )

    with pytest.raises(Quarantined, match="quarantined \\(mould\\)"):
        await reserve(units, 1)


async def test_a_recalled_sku_never_stocked_is_quarantined_with_nothing_on_hand() -> None:
    units = FakeUnits(FakeInventoryStore())

    summary = await recalls.quarantine_recalled(
        units=units, sku="NEW-1", reason="label", clock=lambda: NOW
    )

    assert summary is not None
    assert (summary.on_hand, summary.available, summary.quarantine) == (0, 0, "label")
