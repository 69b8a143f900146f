"""The product table and its queries (SQLAlchemy Core)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import StaleVersion, UtcDateTime
from bazaar_chassis.database import dialect_insert
from bazaar_product.domain import DuplicateSku, Product, ProductStatus

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def _to_product(row: Row[Any]) -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        name=row.name,
        description=row.description,
        attributes=row.attributes,
        status=ProductStatus(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "id": product.id,
        "name": product.name,
        "description": product.description,
        "attributes": product.attributes,
        "status": product.status.value,
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


async def get(connection: AsyncConnection, sku: str) -> Product | None:
    row = (await connection.execute(select(products).where(products.c.sku == sku))).first()
    return _to_product(row) if row else None


async def page(
    connection: AsyncConnection, *, limit: int, offset: int
) -> tuple[int, list[Product]]:
    total = await connection.scalar(select(func.count()).select_from(products))
    rows = await connection.execute(
        select(products).order_by(products.c.sku).limit(limit).offset(offset)
    )
    return int(total or 0), [_to_product(r) for r in rows]


async def exists(connection: AsyncConnection, sku: str) -> bool:
    return bool(await connection.scalar(select(func.count()).where(products.c.sku == sku)))


async def insert(connection: AsyncConnection, product: Product) -> None:
    """Insert a new product; a concurrent create of the same SKU that got there first makes
    this a `DuplicateSku`, not a unique-constraint crash (PostgreSQL lets the two race)."""
    inserted = await connection.scalar(
        dialect_insert(connection, products)
        .values(_values(product))
        .on_conflict_do_nothing(index_elements=[products.c.sku])
        .returning(products.c.sku)
    )
    if inserted is None:
        raise DuplicateSku(product.sku)


async def replace_version(connection: AsyncConnection, product: Product) -> None:
    """Write `product` only if the stored row is still at the version it was derived from.

    The condition is in the UPDATE itself, so two concurrent writers can never both succeed.
    """
    result = await connection.execute(
        products.update()
        .where(products.c.sku == product.sku, products.c.version == product.version - 1)
        .values(_values(product))
    )
    if result.rowcount != 1:
        current = await get(connection, product.sku)
        raise StaleVersion(
            resource=f"product {product.sku}",
            expected=product.version - 1,
            actual=current.version if current else 0,
        )
