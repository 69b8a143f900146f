"""The customer tables and their queries (SQLAlchemy Core): all the SQL of the customer service."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UtcDateTime, dialect_insert, from_row, row_values
from bazaar_customer.domain import Address, HistoryEntry, Profile

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("organization", String(63), nullable=False),
    Column("registered", Boolean, nullable=False),
    Column("sequence", Integer, nullable=False),
)

addresses = Table(
    "addresses",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("label", String(32), primary_key=True),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("postal_code", String(12), nullable=False),
    Column("country", String(2), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

order_history = Table(
    "order_history",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("subject", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("total_amount", BigInteger, nullable=False),
    Column("total_currency", String(3), nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("sequence", Integer, nullable=False),
)


class CustomerStore:
    """The customer tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def profile(self, subject: str) -> Profile | None:
        row = (
            await self.connection.execute(select(customers).where(customers.c.subject == subject))
        ).first()
        return from_row(Profile, row) if row else None

    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Profile]]:
        total = await self.connection.scalar(select(func.count()).select_from(customers))
        rows = await self.connection.execute(
            select(customers).order_by(customers.c.email).limit(limit).offset(offset)
        )
        return int(total or 0), [from_row(Profile, r) for r in rows]

    async def save_profile(self, profile: Profile) -> None:
        """Insert or replace the profile, unless the stored one is from a newer fact."""
        values = row_values(profile)
        insert = dialect_insert(self.connection, customers).values(values)
        await self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[customers.c.subject],
                set_={k: insert.excluded[k] for k in values if k != "subject"},
                where=customers.c.sequence < insert.excluded.sequence,
            )
        )

    async def addresses(self, subject: str) -> list[Address]:
        rows = await self.connection.execute(
            select(addresses).where(addresses.c.subject == subject).order_by(addresses.c.label)
        )
        return [from_row(Address, r) for r in rows]

    async def put_address(self, address: Address) -> None:
        values = row_values(address)
        insert = dialect_insert(self.connection, addresses).values(values)
        await self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[addresses.c.subject, addresses.c.label],
                set_={k: insert.excluded[k] for k in values if k not in ("subject", "label")},
            )
        )

    async def delete_address(self, subject: str, label: str) -> bool:
        result = await self.connection.execute(
            addresses.delete().where(addresses.c.subject == subject, addresses.c.label == label)
        )
        return result.rowcount == 1

    async def history(self, subject: str) -> list[HistoryEntry]:
        rows = await self.connection.execute(
            select(order_history)
            .where(order_history.c.subject == subject)
            .order_by(order_history.c.placed_at.desc(), order_history.c.order_id.desc())
        )
        return [from_row(HistoryEntry, r) for r in rows]

    async def locked_entry(self, order_id: str) -> HistoryEntry | None:
        """The entry, locked until the transaction ends (PostgreSQL: two instances applying two
        facts of one order wait for each other; SQLite has one writer anyway)."""
        row = (
            await self.connection.execute(
                select(order_history).where(order_history.c.order_id == order_id).with_for_update()
            )
        ).first()
        return from_row(HistoryEntry, row) if row else None

    async def insert_entry(self, entry: HistoryEntry) -> bool:
        """Insert the order's first entry; False if another transaction inserted it first
        (PostgreSQL waits for that one to commit, so a `locked_entry` now sees it)."""
        inserted = await self.connection.scalar(
            dialect_insert(self.connection, order_history)
            .values(row_values(entry))
            .on_conflict_do_nothing(index_elements=[order_history.c.order_id])
            .returning(order_history.c.order_id)
        )
        return inserted is not None

    async def update_entry(self, entry: HistoryEntry) -> None:
        await self.connection.execute(
            order_history.update()
            .where(order_history.c.order_id == entry.order_id)
            .values(row_values(entry))
        )
