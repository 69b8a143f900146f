"""The product table and its queries (SQLAlchemy Core): all the SQL of the product service."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import StaleVersion, dialect_insert, from_row, row_values, versioned
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
    *versioned(),
)


class ProductStore:
    """The product table on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, sku: str) -> Product | None:
        row = (await self.connection.execute(select(products).where(products.c.sku == sku))).first()
        return from_row(Product, row, status=ProductStatus(row.status)) if row else None

    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Product]]:
        total = await self.connection.scalar(select(func.count()).select_from(products))
        rows = await self.connection.execute(
            select(products).order_by(products.c.sku).limit(limit).offset(offset)
        )
        return int(total or 0), [from_row(Product, r, status=ProductStatus(r.status)) for r in rows]

    async def exists(self, sku: str) -> bool:
        found = await self.connection.scalar(select(func.count()).where(products.c.sku == sku))
        return bool(found)

    async def insert(self, product: Product) -> None:
        """Insert a new product; a concurrent create of the same SKU that got there first makes
        this a `DuplicateSku`, not a unique-constraint crash (PostgreSQL lets the two race)."""
        inserted = await self.connection.scalar(
            dialect_insert(self.connection, products)
            .values(row_values(product))
            .on_conflict_do_nothing(index_elements=[products.c.sku])
            .returning(products.c.sku)
        )
        if inserted is None:
            raise DuplicateSku(product.sku)

    async def replace_version(self, product: Product) -> None:
        """Write `product` only if the stored row is still at the version it was derived from.

        The condition is in the UPDATE itself, so two concurrent writers can never both succeed.
        """
        result = await self.connection.execute(
            products.update()
            .where(products.c.sku == product.sku, products.c.version == product.version - 1)
            .values(row_values(product))
        )
        if result.rowcount != 1:
            current = await self.get(product.sku)
            raise StaleVersion(
                resource=f"product {product.sku}",
                expected=product.version - 1,
                actual=current.version if current else 0,
            )
