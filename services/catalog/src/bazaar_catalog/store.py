"""The catalog's own tables, and the conditional upserts that keep them equal to the sources.

Each fact is applied only if it is newer than what the row already holds for that aspect
(`product_seq`, `price_seq`, `stock_seq`, per placement `seq`; the chassis's `apply_newer` puts
the condition inside the UPSERT), so consumer instances can apply facts in any order and converge.
The columns every shop window keeps come from `bazaar_shelf.copying`; the catalog adds its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_catalog.domain import CatalogItem, Category
from bazaar_chassis import Money
from bazaar_shelf.card import LISTED_STATUSES
from bazaar_shelf.copying import (
    card_columns,
    categories_table,
    placements_table,
    product_aspect,
)

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200)),
    Column("description", Text, nullable=False, default=""),
    *card_columns(),
)
categories = categories_table(
    metadata,
    Column("name", String(200), nullable=False),
    Column("parent", String(64)),
    Column("position", Integer, nullable=False),
)
placements = placements_table(metadata, Column("position", Integer, nullable=False))
PRODUCT = product_aspect(items, "name", "description")

# One row: how many transactions have applied events. A kept answer is as fresh as the
# generation it was made at (`KEPT` in service.py); the consumer bumps it in the applying one.
generation = Table(
    "generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)
BUMP_GENERATION = update(generation).values(value=generation.c.value + 1)
CURRENT_GENERATION = "SELECT value FROM generation"


def _to_item(row: Row[Any]) -> CatalogItem:
    price = (
        Money(row.price_amount, row.price_currency)
        if row.price_amount is not None and row.price_currency
        else None
    )
    return CatalogItem(
        sku=row.sku,
        name=row.name,
        description=row.description,
        price=price,
        available=row.available,
    )


async def category(connection: AsyncConnection, key: str) -> Category | None:
    row = (await connection.execute(select(categories).where(categories.c.key == key))).first()
    return Category(row.key, row.name, row.parent, row.position) if row else None


async def all_categories(connection: AsyncConnection) -> list[Category]:
    """Roots first (NULLS FIRST: PostgreSQL would put them last), then children by parent."""
    query = select(categories).order_by(
        categories.c.parent.nulls_first(), categories.c.position, categories.c.key
    )
    return [Category(r.key, r.name, r.parent, r.position) for r in await connection.execute(query)]


def _listed_items_of_category() -> Any:
    """Built once: the page of a category, its category row and the total, in one query.

    Listed items are left-joined to the category, so a category with no (visible) products still
    yields its row; the window count is taken before LIMIT, so it is the total.
    """
    listed = (
        select(items, placements.c.category_key, placements.c.position.label("placement"))
        .select_from(placements.join(items, items.c.sku == placements.c.sku))
        .where(placements.c.assigned.is_(True), items.c.status.in_(LISTED_STATUSES))
        .subquery("listed")
    )
    return (
        select(
            categories.c.key,
            categories.c.name.label("category_name"),
            categories.c.parent,
            categories.c.position,
            listed,
            func.count(listed.c.sku).over().label("total"),
        )
        .select_from(categories.outerjoin(listed, listed.c.category_key == categories.c.key))
        .where(categories.c.key == bindparam("key"))
        .order_by(listed.c.placement, listed.c.sku)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


_CATEGORY_PAGE = _listed_items_of_category()


async def category_page(
    connection: AsyncConnection, key: str, *, limit: int, offset: int
) -> tuple[Category | None, int, list[CatalogItem]]:
    """The category, how many products it lists, and one page of them in merchandising order."""
    rows = (
        await connection.execute(_CATEGORY_PAGE, {"key": key, "limit": limit, "offset": offset})
    ).all()
    if not rows:  # no such category, or a page past the end: ask plainly
        found = await category(connection, key)
        if found is None:
            return None, 0, []
        total = await connection.scalar(
            select(func.count())
            .select_from(placements.join(items, items.c.sku == placements.c.sku))
            .where(
                placements.c.category_key == key,
                placements.c.assigned.is_(True),
                items.c.status.in_(LISTED_STATUSES),
            )
        )
        return found, int(total or 0), []
    head = rows[0]
    page = [_to_item(row) for row in rows if row.sku is not None]
    found = Category(head.key, head.category_name, head.parent, head.position)
    return found, int(head.total), page


async def item(connection: AsyncConnection, sku: str) -> tuple[CatalogItem | None, str | None]:
    """The item and its product status (None, None for a SKU the catalog never heard of)."""
    row = (await connection.execute(select(items).where(items.c.sku == sku))).first()
    if row is None or row.name is None:
        return None, None
    placed = await connection.scalars(
        select(placements.c.category_key)
        .where(placements.c.sku == sku, placements.c.assigned.is_(True))
        .order_by(placements.c.category_key)
    )
    return replace(_to_item(row), categories=tuple(placed)), row.status


class CatalogStore:
    """The read model on one connection, as the queries in `use_cases` read it."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def all_categories(self) -> list[Category]:
        return await all_categories(self.connection)

    async def category_page(
        self, key: str, *, limit: int, offset: int
    ) -> tuple[Category | None, int, list[CatalogItem]]:
        return await category_page(self.connection, key, limit=limit, offset=offset)

    async def item(self, sku: str) -> tuple[CatalogItem | None, str | None]:
        return await item(self.connection, sku)
