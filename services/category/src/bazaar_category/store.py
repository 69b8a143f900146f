"""The categories and memberships tables and their queries (SQLAlchemy Core).

Writes are conditional on the version they were derived from, so two concurrent writers can never
both succeed: the loser gets `ConcurrentWrite`, and the use case reads again and retries.

Lists are sorted in Python, not by the database: PostgreSQL collations and SQLite's byte order
disagree on keys and SKUs with '-', '.', '_' or mixed case, and the order a client sees must not
depend on where the service happens to store its data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    select,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_category.domain import Category, ConcurrentWrite, Membership
from bazaar_chassis import from_row, row_values, versioned

metadata = MetaData()

categories = Table(
    "categories",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent", String(64), ForeignKey("categories.key"), nullable=True, index=True),
    Column("position", Integer, nullable=False),
    *versioned(),
)

memberships = Table(
    "memberships",
    metadata,
    Column("category_key", String(64), ForeignKey("categories.key"), primary_key=True),
    Column("sku", String(64), primary_key=True, index=True),
    Column("position", Integer, nullable=False),
    Column("assigned", Boolean, nullable=False),
    *versioned(),
)

# Any constant unlike the chassis's migration lock (727272); each service has its own database.
_TREE_LOCK_ID = 0x0CA7_7EE5


_MEMBERSHIP_COLUMNS = {"category": "category_key"}


def _to_membership(row: Row[Any]) -> Membership:
    return from_row(Membership, row, rename=_MEMBERSHIP_COLUMNS, assigned=bool(row.assigned))


def _membership_values(membership: Membership) -> dict[str, Any]:
    return row_values(membership, rename=_MEMBERSHIP_COLUMNS)


def tree_order(category: Category) -> tuple[bool, str, int, str]:
    """Sort key of the category list: roots first, then by parent, position and key."""
    return (category.parent is not None, category.parent or "", category.position, category.key)


class CategoryStore:
    """The category tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get_category(self, key: str) -> Category | None:
        row = (
            await self.connection.execute(select(categories).where(categories.c.key == key))
        ).first()
        return from_row(Category, row) if row else None

    async def category_exists(self, key: str) -> bool:
        found = await self.connection.scalar(
            select(categories.c.key).where(categories.c.key == key)
        )
        return found is not None

    async def all_categories(self) -> list[Category]:
        rows = await self.connection.execute(select(categories))
        return sorted((from_row(Category, r) for r in rows), key=tree_order)

    async def children_of(self, key: str) -> list[str]:
        """Keys of the direct children of `key`, in sibling order (position, then key)."""
        rows = await self.connection.execute(
            select(categories.c.key, categories.c.position).where(categories.c.parent == key)
        )
        return [r.key for r in sorted(rows, key=lambda r: (r.position, r.key))]

    async def products_in(self, key: str) -> list[Membership]:
        """The assigned memberships of `key`, in display order (position, then SKU)."""
        rows = await self.connection.execute(
            select(memberships).where(
                memberships.c.category_key == key, memberships.c.assigned.is_(True)
            )
        )
        return sorted((_to_membership(r) for r in rows), key=lambda m: (m.position, m.sku))

    async def lock_tree(self) -> None:
        """Serialise writes that set a parent until this transaction ends.

        Two concurrent moves (a under b, b under a) could each pass the cycle check on its own
        snapshot. SQLite writers are already serialised (BEGIN IMMEDIATE); PostgreSQL needs a
        transaction-scoped advisory lock, after which each statement sees the committed tree.
        """
        if self.connection.dialect.name == "postgresql":
            await self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _TREE_LOCK_ID}
            )

    async def parent_chain(self, start: str) -> dict[str, str | None]:
        """`start` and its ancestors as a key → parent map; empty when `start` does not exist.

        One small query per level: trees are shallow, and this never reads the whole table.
        """
        chain: dict[str, str | None] = {}
        node: str | None = start
        while node is not None and node not in chain:
            row = (
                await self.connection.execute(
                    select(categories.c.key, categories.c.parent).where(categories.c.key == node)
                )
            ).first()
            if row is None:
                break
            chain[row.key] = row.parent
            node = row.parent
        return chain

    async def insert_category(self, category: Category) -> None:
        """Add a new category; a concurrent PUT that created the same key first is a race, not 500.

        The savepoint keeps the transaction usable after the unique violation (PostgreSQL would
        otherwise abort it), so the caller can read the winner's row and try again.
        """
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(categories.insert().values(row_values(category)))
        except IntegrityError as exc:
            raise ConcurrentWrite(f"category {category.key}") from exc

    async def replace_category(self, category: Category) -> None:
        """Write `category` only if the stored row is still at the version it was derived from."""
        result = await self.connection.execute(
            categories.update()
            .where(categories.c.key == category.key, categories.c.version == category.version - 1)
            .values(row_values(category))
        )
        if result.rowcount != 1:
            raise ConcurrentWrite(f"category {category.key}")

    async def get_membership(self, *, category: str, sku: str) -> Membership | None:
        row = (
            await self.connection.execute(
                select(memberships).where(
                    memberships.c.category_key == category, memberships.c.sku == sku
                )
            )
        ).first()
        return _to_membership(row) if row else None

    async def save_membership(self, membership: Membership) -> None:
        """Insert a first membership (version 1) or move the stored one to `membership.version`.

        Either write fails with `ConcurrentWrite` when another transaction got there first.
        """
        if membership.version == 1:
            try:
                async with self.connection.begin_nested():  # see insert_category
                    await self.connection.execute(
                        memberships.insert().values(_membership_values(membership))
                    )
            except IntegrityError as exc:
                raise ConcurrentWrite(
                    f"the membership of {membership.sku} in {membership.category}"
                ) from exc
            return
        result = await self.connection.execute(
            memberships.update()
            .where(
                memberships.c.category_key == membership.category,
                memberships.c.sku == membership.sku,
                memberships.c.version == membership.version - 1,
            )
            .values(_membership_values(membership))
        )
        if result.rowcount != 1:
            raise ConcurrentWrite(f"the membership of {membership.sku} in {membership.category}")
