"""The price tables and their queries (SQLAlchemy Core).

`sku_prices` holds one row per SKU that has ever had a price: its price-list `version` and when
it last changed. `prices` holds the rows themselves, in the shape v2 needs (tiers, groups,
windows) so that v1 and v2 share one schema. A partial unique index keeps at most one base row
per SKU and currency, which is also the conflict target of the v1 upsert; a v2 write replaces
all rows of the SKU at once, behind the same conditional version bump as a v1 write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import (
    StaleVersion,
    UtcDateTime,
    from_row,
    insert_for,
    row_values,
    sku_versions_table,
)
from bazaar_pricing.domain import PriceList, PriceRow

# Spelled as literal SQL, not bound parameters: SQLite matches an upsert's conflict target to a
# partial index only when both WHERE clauses are the same expression.
BASE_ROW_SQL = (
    "min_quantity = 1 AND customer_group IS NULL AND valid_from IS NULL AND valid_until IS NULL"
)
BASE_ROW = text(BASE_ROW_SQL)

metadata = MetaData()

sku_prices = sku_versions_table("sku_prices", metadata)

prices = Table(
    "prices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sku", String(64), ForeignKey("sku_prices.sku"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("min_quantity", Integer, nullable=False, server_default="1"),
    Column("customer_group", String(64), nullable=True),
    Column("valid_from", UtcDateTime, nullable=True),
    Column("valid_until", UtcDateTime, nullable=True),
    CheckConstraint("amount >= 0", name="ck_prices_amount_not_negative"),
    CheckConstraint("min_quantity >= 1", name="ck_prices_min_quantity_positive"),
    Index("ix_prices_sku_currency", "sku", "currency"),
    Index(
        "uq_prices_base",
        "sku",
        "currency",
        unique=True,
        sqlite_where=BASE_ROW,
        postgresql_where=BASE_ROW,
    ),
)


PRICE_ROW_COLUMNS = tuple(f.name for f in fields(PriceRow))  # a row's columns beside `sku`


@dataclass(frozen=True, slots=True)
class _Statements:
    """A price write's statements, built once per dialect: building one with its values and
    its cache key cost more (~250 µs for the four of a v1 PUT) than running it on SQLite."""

    head: Any
    rows: Any
    bump_version: Any
    upsert_base_row: Any


@cache
def _statements(dialect: str) -> _Statements:
    bump = insert_for(dialect, sku_prices).values(
        sku=bindparam("sku"), version=bindparam("version"), updated_at=bindparam("updated_at")
    )
    base = insert_for(dialect, prices).values(
        {column: bindparam(column) for column in ("sku", *PRICE_ROW_COLUMNS)}
    )
    return _Statements(
        head=select(sku_prices).where(sku_prices.c.sku == bindparam("sku")),
        rows=select(prices).where(prices.c.sku == bindparam("sku")),
        bump_version=bump.on_conflict_do_update(
            index_elements=[sku_prices.c.sku],
            set_={"version": bump.excluded.version, "updated_at": bump.excluded.updated_at},
            where=sku_prices.c.version == bindparam("before"),
        ).returning(sku_prices.c.version),
        upsert_base_row=base.on_conflict_do_update(
            index_elements=[prices.c.sku, prices.c.currency],
            index_where=BASE_ROW,
            set_={"amount": base.excluded.amount},
        ),
    )


def _to_row(row: Row[Any]) -> PriceRow:
    return from_row(PriceRow, row)


def _price_list(head: Row[Any], rows: Sequence[PriceRow]) -> PriceList:
    return PriceList(
        sku=head.sku,
        version=head.version,
        updated_at=head.updated_at,
        rows=tuple(sorted(rows, key=lambda r: r.sort_key)),
    )


class PriceStore:
    """The price tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def load(self, sku: str, *, lock: bool = False) -> PriceList:
        """The whole price list of `sku` (version 0 and no rows if it never had a price).

        `lock` makes concurrent writers of one SKU queue instead of failing: on PostgreSQL a
        transaction-scoped advisory lock per SKU (a row lock alone would not hold back two
        writers of a SKU that has no row yet); SQLite writers are already serialised by BEGIN
        IMMEDIATE.
        """
        statements = _statements(self.connection.dialect.name)
        if lock and self.connection.dialect.name == "postgresql":
            await self.connection.execute(
                select(func.pg_advisory_xact_lock(func.hashtextextended(sku, 0)))
            )
        head = (await self.connection.execute(statements.head, {"sku": sku})).first()
        if head is None:
            return PriceList(sku=sku)
        rows = await self.connection.execute(statements.rows, {"sku": sku})
        return _price_list(head, [_to_row(r) for r in rows])

    async def load_base_prices(self, skus: Sequence[str]) -> dict[str, PriceList]:
        """Price lists of the SKUs that have any, holding only their base rows (two queries)."""
        heads = await self.connection.execute(select(sku_prices).where(sku_prices.c.sku.in_(skus)))
        bases: dict[str, list[PriceRow]] = {}
        rows = await self.connection.execute(select(prices).where(prices.c.sku.in_(skus), BASE_ROW))
        for row in rows:
            bases.setdefault(row.sku, []).append(_to_row(row))
        return {head.sku: _price_list(head, bases.get(head.sku, [])) for head in heads}

    async def _bump_version(self, *, before: PriceList, after: PriceList) -> None:
        """Move the list from `before.version` to `after.version`, or fail if someone was first.

        One statement, conditional on the stored version, so two writers can never both succeed.
        """
        statement = _statements(self.connection.dialect.name).bump_version
        values = {
            "sku": after.sku,
            "version": after.version,
            "updated_at": after.updated_at,
            "before": before.version,
        }
        written = (await self.connection.execute(statement, values)).scalar_one_or_none()
        if written != after.version:
            current = await self.load(after.sku)
            raise StaleVersion(
                resource=f"the price list of SKU {after.sku!r}",
                expected=before.version,
                actual=current.version,
            )

    async def save_base_price(self, *, before: PriceList, after: PriceList, currency: str) -> None:
        """Persist `after`, which differs from `before` only in its base price in `currency`."""
        row = after.base_price(currency)
        if row is None:
            raise ValueError(f"{after.sku} has no base price in {currency} to save")
        await self._bump_version(before=before, after=after)
        await self.connection.execute(
            _statements(self.connection.dialect.name).upsert_base_row,
            {"sku": after.sku, **row_values(row)},
        )

    async def save_rows(self, *, before: PriceList, after: PriceList) -> None:
        """Persist `after` as the SKU's whole price list (v2): its rows replace every stored one."""
        await self._bump_version(before=before, after=after)
        await self.connection.execute(prices.delete().where(prices.c.sku == after.sku))
        if after.rows:
            await self.connection.execute(
                prices.insert(), [{"sku": after.sku, **row_values(row)} for row in after.rows]
            )
