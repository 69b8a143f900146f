"""The categories and memberships tables and their queries (SQLAlchemy Core).

Writes are conditional on the version they were derived from, so two concurrent writers can never
both succeed: the loser gets `ConcurrentWrite`, and the API reads again and retries.

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
from bazaar_chassis import UtcDateTime

metadata = MetaData()

categories = Table(
    "categories",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent", String(64), ForeignKey("categories.key"), nullable=True, index=True),
    Column("position", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("category_key", String(64), ForeignKey("categories.key"), primary_key=True),
    Column("sku", String(64), primary_key=True, index=True),
    Column("position", Integer, nullable=False),
    Column("assigned", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Any constant unlike the chassis's migration lock (727272); each service has its own database.
_TREE_LOCK_ID = 0x0CA7_7EE5


def _to_category(row: Row[Any]) -> Category:
    return Category(
        id=row.id,
        key=row.key,
        name=row.name,
        parent=row.parent,
        position=row.position,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _to_membership(row: Row[Any]) -> Membership:
    return Membership(
        category=row.category_key,
        sku=row.sku,
        position=row.position,
        assigned=bool(row.assigned),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _category_values(category: Category) -> dict[str, Any]:
    return {
        "key": category.key,
        "id": category.id,
        "name": category.name,
        "parent": category.parent,
        "position": category.position,
        "version": category.version,
        "created_at": category.created_at,
        "updated_at": category.updated_at,
    }


def _membership_values(membership: Membership) -> dict[str, Any]:
    return {
        "category_key": membership.category,
        "sku": membership.sku,
        "position": membership.position,
        "assigned": membership.assigned,
        "version": membership.version,
        "created_at": membership.created_at,
        "updated_at": membership.updated_at,
    }


def tree_order(category: Category) -> tuple[bool, str, int, str]:
    """Sort key of the category list: roots first, then by parent, position and key."""
    return (category.parent is not None, category.parent or "", category.position, category.key)


async def get_category(connection: AsyncConnection, key: str) -> Category | None:
    row = (await connection.execute(select(categories).where(categories.c.key == key))).first()
    return _to_category(row) if row else None


async def category_exists(connection: AsyncConnection, key: str) -> bool:
    found = await connection.scalar(select(categories.c.key).where(categories.c.key == key))
    return found is not None


async def all_categories(connection: AsyncConnection) -> list[Category]:
    rows = await connection.execute(select(categories))
    return sorted((_to_category(r) for r in rows), key=tree_order)


async def children_of(connection: AsyncConnection, key: str) -> list[str]:
    """Keys of the direct children of `key`, in sibling order (position, then key)."""
    rows = await connection.execute(
        select(categories.c.key, categories.c.position).where(categories.c.parent == key)
    )
    return [r.key for r in sorted(rows, key=lambda r: (r.position, r.key))]


async def products_in(connection: AsyncConnection, key: str) -> list[Membership]:
    """The assigned memberships of `key`, in display order (position, then SKU)."""
    rows = await connection.execute(
        select(memberships).where(
            memberships.c.category_key == key, memberships.c.assigned.is_(True)
        )
    )
    return sorted((_to_membership(r) for r in rows), key=lambda m: (m.position, m.sku))


async def lock_tree(connection: AsyncConnection) -> None:
    """Serialise writes that set a parent until this transaction ends.

    Two concurrent moves (a under b, b under a) could each pass the cycle check on its own
    snapshot. SQLite writers are already serialised (BEGIN IMMEDIATE); PostgreSQL needs a
    transaction-scoped advisory lock, after which each statement sees the committed tree.
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _TREE_LOCK_ID})


async def parent_chain(connection: AsyncConnection, start: str) -> dict[str, str | None]:
    """`start` and its ancestors as a key → parent map; empty when `start` does not exist.

    One small query per level: trees are shallow, and this never reads the whole table.
    """
    chain: dict[str, str | None] = {}
    node: str | None = start
    while node is not None and node not in chain:
        row = (
            await connection.execute(
                select(categories.c.key, categories.c.parent).where(categories.c.key == node)
            )
        ).first()
        if row is None:
            break
        chain[row.key] = row.parent
        node = row.parent
    return chain


async def insert_category(connection: AsyncConnection, category: Category) -> None:
    """Add a new category; a concurrent PUT that created the same key first is a race, not a 500.

    The savepoint keeps the transaction usable after the unique violation (PostgreSQL would
    otherwise abort it), so the caller can read the winner's row and try again.
    """
    try:
        async with connection.begin_nested():
            await connection.execute(categories.insert().values(_category_values(category)))
    except IntegrityError as exc:
        raise ConcurrentWrite(f"category {category.key}") from exc


async def replace_category(connection: AsyncConnection, category: Category) -> None:
    """Write `category` only if the stored row is still at the version it was derived from."""
    result = await connection.execute(
        categories.update()
        .where(categories.c.key == category.key, categories.c.version == category.version - 1)
        .values(_category_values(category))
    )
    if result.rowcount != 1:
        raise ConcurrentWrite(f"category {category.key}")


async def get_membership(
    connection: AsyncConnection, *, category: str, sku: str
) -> Membership | None:
    row = (
        await connection.execute(
            select(memberships).where(
                memberships.c.category_key == category, memberships.c.sku == sku
            )
        )
    ).first()
    return _to_membership(row) if row else None


async def save_membership(connection: AsyncConnection, membership: Membership) -> None:
    """Insert a first membership (version 1) or move the stored one to `membership.version`.

    Either write fails with `ConcurrentWrite` when another transaction got there first.
    """
    if membership.version == 1:
        try:
            async with connection.begin_nested():  # see insert_category
                await connection.execute(
                    memberships.insert().values(_membership_values(membership))
                )
        except IntegrityError as exc:
            raise ConcurrentWrite(
                f"the membership of {membership.sku} in {membership.category}"
            ) from exc
        return
    result = await connection.execute(
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
