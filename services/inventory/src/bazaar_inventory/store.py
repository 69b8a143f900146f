"""The inventory tables and their queries (SQLAlchemy Core), correct on SQLite and PostgreSQL.

Two rules make concurrent writers safe on both databases:

1. Every write to a SKU first bumps its row in `sku_versions` (`bump_version`). In PostgreSQL
   that row lock serialises the writers of one SKU, so the state read back at the end of a unit
   of work is exactly the state at the new version (the event's `sequence`); SQLite's
   `BEGIN IMMEDIATE` serialises all writers anyway. Lock order is always sku_versions, then
   reservations, then stock, so two transactions can never wait on each other in a cycle.
2. Stock only changes through conditional statements that check the rule in their own WHERE
   clause (`reserve_best_location`, `set_on_hand`, `settle_reservation`); never read-then-write.
   The row lock of rule 1 is an optimisation for consistent events, not what prevents overselling.

An order's hold (`order_holds`, one row per order id) is written last in a unit of work, so the
lock order stays sku_versions, reservations, stock, order_holds for every writer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UtcDateTime, dialect_insert, from_row, row_values, sku_versions_table
from bazaar_inventory.domain import (
    HoldStatus,
    LocationStock,
    Reservation,
    ReservationStatus,
    SkuNotStocked,
    StockSummary,
    check_expected_version,
    check_on_hand_covers_reserved,
)

metadata = MetaData()

sku_versions = sku_versions_table("sku_versions", metadata)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(32), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="ck_stock_reserved_within_on_hand"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reference", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="ck_reservations_quantity_positive"),
    Index("ix_reservations_status_expires_at", "status", "expires_at"),
    Index("ix_reservations_sku", "sku"),
    Index("ix_reservations_reference", "reference"),
)


order_holds = Table(
    "order_holds",
    metadata,
    Column("order_id", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

quarantines = Table(
    "quarantines",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("since", UtcDateTime, nullable=False),
)


def _summaries(
    versions: dict[str, int], rows: list[Row[Any]], held: dict[str, str]
) -> dict[str, StockSummary]:
    levels: dict[str, list[LocationStock]] = defaultdict(list)
    for row in rows:
        levels[row.sku].append(
            LocationStock(
                location=row.location,
                on_hand=row.on_hand,
                reserved=row.reserved,
                quarantined=row.sku in held,
            )
        )
    return {
        sku: StockSummary(
            sku=sku, version=version, locations=tuple(levels[sku]), quarantine=held.get(sku)
        )
        for sku, version in versions.items()
    }


def _to_reservation(row: Row[Any]) -> Reservation:
    return from_row(Reservation, row, status=ReservationStatus(row.status))


class InventoryStore:
    """The inventory tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # --- the per-SKU version (the event sequence) ---------------------------------------------

    async def current_version(self, sku: str) -> int:
        """The SKU's version, 0 if it was never stocked."""
        found = await self.connection.scalar(
            select(sku_versions.c.version).where(sku_versions.c.sku == sku)
        )
        return int(found or 0)

    async def bump_version(
        self,
        sku: str,
        *,
        now: datetime,
        expected: int | None = None,
        create: bool = False,
    ) -> int:
        """Count one more change of `sku` and return its new version (locks the SKU, see rule 1).

        `create` lets a SKU that was never stocked start at version 1 (setting stock does that;
        reserving does not: an unknown SKU is `SkuNotStocked`). `expected` is the caller's
        optimistic-concurrency token: 0 means "I believe it was never stocked".
        """
        returned: Any
        if create and expected is None:
            statement = dialect_insert(self.connection, sku_versions).values(
                sku=sku, version=1, updated_at=now
            )
            statement = statement.on_conflict_do_update(
                index_elements=[sku_versions.c.sku],
                set_={"version": sku_versions.c.version + 1, "updated_at": now},
            )
            returned = await self.connection.scalar(statement.returning(sku_versions.c.version))
        elif create and expected == 0:
            statement = dialect_insert(self.connection, sku_versions).values(
                sku=sku, version=1, updated_at=now
            )
            statement = statement.on_conflict_do_nothing(index_elements=[sku_versions.c.sku])
            returned = await self.connection.scalar(statement.returning(sku_versions.c.version))
        else:
            condition = [sku_versions.c.sku == sku]
            if expected is not None:
                condition.append(sku_versions.c.version == expected)
            returned = await self.connection.scalar(
                sku_versions.update()
                .where(*condition)
                .values(version=sku_versions.c.version + 1, updated_at=now)
                .returning(sku_versions.c.version)
            )
        if returned is not None:
            return int(returned)
        actual = await self.current_version(sku)
        if expected is None:
            raise SkuNotStocked(sku)
        check_expected_version(sku=sku, expected=expected, actual=actual)
        raise AssertionError(f"version of {sku} neither bumped nor stale")  # pragma: no cover

    # --- stock ------------------------------------------------------------------------------------

    async def set_on_hand(self, *, sku: str, location: str, quantity: int) -> None:
        """Set what is physically at `location`; never below what is reserved there (409)."""
        statement = dialect_insert(self.connection, stock).values(
            sku=sku, location=location, on_hand=quantity, reserved=0
        )
        statement = statement.on_conflict_do_update(
            index_elements=[stock.c.sku, stock.c.location],
            set_={"on_hand": statement.excluded.on_hand},
            where=stock.c.reserved <= statement.excluded.on_hand,
        )
        written = await self.connection.scalar(statement.returning(stock.c.on_hand))
        if written is None:
            reserved = await self.connection.scalar(
                select(stock.c.reserved).where(stock.c.sku == sku, stock.c.location == location)
            )
            check_on_hand_covers_reserved(
                sku=sku, location=location, on_hand=quantity, reserved=int(reserved or 0)
            )
            raise AssertionError(f"stock of {sku} at {location} neither written nor refused")

    async def reserve_best_location(self, *, sku: str, quantity: int) -> str | None:
        """Hold `quantity` units at the location with the most available, in ONE conditional UPDATE.

        The subquery picks the candidate; the outer `on_hand - reserved >= :q` re-checks the very
        row being updated, so even a stale candidate can never be oversold. Returns the location,
        or None when no single location has enough (the caller answers 409).
        """
        candidate = stock.alias("candidate")
        best_location = (
            select(candidate.c.location)
            .where(
                candidate.c.sku == sku,
                candidate.c.on_hand - candidate.c.reserved >= quantity,
            )
            .order_by((candidate.c.on_hand - candidate.c.reserved).desc(), candidate.c.location)
            .limit(1)
            .scalar_subquery()
        )
        location = await self.connection.scalar(
            stock.update()
            .where(
                stock.c.sku == sku,
                stock.c.location == best_location,
                stock.c.on_hand - stock.c.reserved >= quantity,
            )
            .values(reserved=stock.c.reserved + quantity)
            .returning(stock.c.location)
        )
        return None if location is None else str(location)

    async def unreserve(self, *, sku: str, location: str, quantity: int) -> None:
        """Give back units a reservation held; called once per reservation (see settle)."""
        result = await self.connection.execute(
            stock.update()
            .where(stock.c.sku == sku, stock.c.location == location, stock.c.reserved >= quantity)
            .values(reserved=stock.c.reserved - quantity)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"stock of {sku} at {location} holds fewer than {quantity} reserved")

    async def summaries(self, skus: list[str]) -> list[StockSummary]:
        """Stock of each SKU that was ever stocked, in the order asked; the others are left out."""
        version_rows = await self.connection.execute(
            select(sku_versions.c.sku, sku_versions.c.version).where(sku_versions.c.sku.in_(skus))
        )
        versions = {row.sku: row.version for row in version_rows}
        stock_rows = await self.connection.execute(
            select(stock).where(stock.c.sku.in_(skus)).order_by(stock.c.sku, stock.c.location)
        )
        held_rows = await self.connection.execute(
            select(quarantines.c.sku, quarantines.c.reason).where(quarantines.c.sku.in_(skus))
        )
        found = _summaries(versions, list(stock_rows), {row.sku: row.reason for row in held_rows})
        return [found[sku] for sku in skus if sku in found]

    async def summary(self, sku: str) -> StockSummary | None:
        found = await self.summaries([sku])
        return found[0] if found else None

    # --- reservations -----------------------------------------------------------------------------

    async def insert_reservation(self, reservation: Reservation) -> None:
        await self.connection.execute(reservations.insert().values(row_values(reservation)))

    async def get_reservation(self, reservation_id: str) -> Reservation | None:
        row = (
            await self.connection.execute(
                select(reservations).where(reservations.c.id == reservation_id)
            )
        ).first()
        return _to_reservation(row) if row else None

    async def settle_reservation(
        self, reservation_id: str, *, status: ReservationStatus, now: datetime
    ) -> bool:
        """Move an ACTIVE reservation to `status`; False if someone else settled it first.

        The `status = 'active'` condition makes release and expiry race-free between requests and
        between instances: exactly one settle wins, and only the winner gives the stock back.
        A reservation expires only once its time is up (`expires_at <= now`).
        """
        condition = [
            reservations.c.id == reservation_id,
            reservations.c.status == ReservationStatus.ACTIVE.value,
        ]
        if status == ReservationStatus.EXPIRED:
            condition.append(reservations.c.expires_at <= now)
        result = await self.connection.execute(
            reservations.update().where(*condition).values(status=status.value, updated_at=now)
        )
        return result.rowcount == 1

    async def due_reservations(self, *, now: datetime, limit: int) -> list[str]:
        """Ids of active reservations whose time is up, oldest deadline first."""
        rows = await self.connection.execute(
            select(reservations.c.id)
            .where(
                reservations.c.status == ReservationStatus.ACTIVE.value,
                reservations.c.expires_at <= now,
            )
            .order_by(reservations.c.expires_at)
            .limit(limit)
        )
        return [row.id for row in rows]

    async def order_reservations(self, order_id: str) -> list[Reservation]:
        """The active reservations held for an order (reference = its id), in SKU order."""
        rows = await self.connection.execute(
            select(reservations)
            .where(
                reservations.c.reference == order_id,
                reservations.c.status == ReservationStatus.ACTIVE.value,
            )
            .order_by(reservations.c.sku, reservations.c.id)
        )
        return [_to_reservation(row) for row in rows]

    async def take_reserved(self, *, sku: str, location: str, quantity: int) -> None:
        """Reserved units leave the shelf (a committed order): on_hand and reserved both shrink."""
        result = await self.connection.execute(
            stock.update()
            .where(stock.c.sku == sku, stock.c.location == location, stock.c.reserved >= quantity)
            .values(on_hand=stock.c.on_hand - quantity, reserved=stock.c.reserved - quantity)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"stock of {sku} at {location} holds fewer than {quantity} reserved")

    async def sku_reservations(self, sku: str) -> list[Reservation]:
        """The active reservations of one SKU, oldest first (a recall releases them all)."""
        rows = await self.connection.execute(
            select(reservations)
            .where(
                reservations.c.sku == sku,
                reservations.c.status == ReservationStatus.ACTIVE.value,
            )
            .order_by(reservations.c.created_at, reservations.c.id)
        )
        return [_to_reservation(row) for row in rows]

    # --- quarantines (recalls) --------------------------------------------------------------------

    async def quarantine_reason(self, sku: str) -> str | None:
        """Why `sku` is quarantined, or None if it is not."""
        found = await self.connection.scalar(
            select(quarantines.c.reason).where(quarantines.c.sku == sku)
        )
        return None if found is None else str(found)

    async def quarantine(self, sku: str, *, reason: str, now: datetime) -> bool:
        """Quarantine `sku` for `reason`; False if it already was (the first reason stays)."""
        statement = dialect_insert(self.connection, quarantines).values(
            sku=sku, reason=reason, since=now
        )
        statement = statement.on_conflict_do_nothing(index_elements=[quarantines.c.sku])
        return await self.connection.scalar(statement.returning(quarantines.c.sku)) is not None

    # --- order holds ------------------------------------------------------------------------------

    async def order_hold(self, order_id: str) -> HoldStatus | None:
        found = await self.connection.scalar(
            select(order_holds.c.status).where(order_holds.c.order_id == order_id)
        )
        return None if found is None else HoldStatus(found)

    async def open_order_hold(self, order_id: str, *, status: HoldStatus, now: datetime) -> bool:
        """Record the first outcome of an order (reserved or failed); False if it has one."""
        statement = dialect_insert(self.connection, order_holds).values(
            order_id=order_id, status=status.value, version=1, updated_at=now
        )
        statement = statement.on_conflict_do_nothing(index_elements=[order_holds.c.order_id])
        created = await self.connection.scalar(statement.returning(order_holds.c.order_id))
        return created is not None

    async def close_order_hold(
        self, order_id: str, *, status: HoldStatus, now: datetime
    ) -> int | None:
        """Settle a `reserved` hold as `status`, or record `status` for an order never seen (a
        late order.placed then does nothing); the new version, or None if it was settled already.
        """
        statement = dialect_insert(self.connection, order_holds).values(
            order_id=order_id, status=status.value, version=1, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[order_holds.c.order_id],
            set_={"status": status.value, "version": order_holds.c.version + 1, "updated_at": now},
            where=order_holds.c.status == HoldStatus.RESERVED.value,
        )
        version = await self.connection.scalar(statement.returning(order_holds.c.version))
        return None if version is None else int(version)

    async def lapse_order_hold(self, order_id: str, *, now: datetime) -> int | None:
        """Mark a `reserved` hold expired; its new version, or None if there is no such hold."""
        version = await self.connection.scalar(
            order_holds.update()
            .where(
                order_holds.c.order_id == order_id,
                order_holds.c.status == HoldStatus.RESERVED.value,
            )
            .values(
                status=HoldStatus.EXPIRED.value, version=order_holds.c.version + 1, updated_at=now
            )
            .returning(order_holds.c.version)
        )
        return None if version is None else int(version)
