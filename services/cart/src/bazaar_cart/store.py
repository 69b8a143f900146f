"""The cart's tables and queries (SQLAlchemy Core): all the SQL of the cart service.

A cart is one row (its lines and codes as JSON), written only at the version it was read at; a
partial unique index keeps a signed-in user to one active cart. Promotions and codes are the
cart's copy of promotion's facts, each kept only if newer than the one held.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    select,
    text,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_cart.domain import Cart, CartState, Line, Notice
from bazaar_cart.events import CodeFacts, PromotionFacts
from bazaar_chassis import Money, StaleVersion, UtcDateTime, dialect_insert, from_row, row_values

metadata = MetaData()

ONE_ACTIVE_CART = "state = 'active' AND token_hash IS NULL"

carts = Table(
    "carts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("token_hash", String(64)),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("codes", JSON, nullable=False),
    Column("order_id", String(64)),
    Column("merged_into", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("notices", JSON, nullable=False, server_default=text("'[]'")),
    Index(
        "carts_one_active_per_owner",
        "owner",
        unique=True,
        sqlite_where=text(ONE_ACTIVE_CART),
        postgresql_where=text(ONE_ACTIVE_CART),
    ),
)

promotions = Table(
    "promotions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("facts", JSON, nullable=False),
    Column("seq", Integer, nullable=False),
)

codes = Table(
    "codes",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("facts", JSON, nullable=False),
    Column("seq", Integer, nullable=False),
)


recalled_skus = Table(
    "recalled_skus",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)


def _notice_json(notice: Notice) -> dict[str, Any]:
    return {
        "sku": notice.sku,
        "name": notice.name,
        "quantity": notice.quantity,
        "reason": notice.reason,
        "at": notice.at.isoformat(),
    }


def _notice(raw: dict[str, Any]) -> Notice:
    return Notice(
        sku=raw["sku"],
        name=raw["name"],
        quantity=int(raw["quantity"]),
        reason=raw["reason"],
        at=datetime.fromisoformat(raw["at"]),
    )


def _line_json(line: Line) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": {"amount": line.unit_price.amount, "currency": line.unit_price.currency},
        "categories": list(line.categories),
    }


def _line(raw: dict[str, Any]) -> Line:
    price = raw["unit_price"]
    return Line(
        sku=raw["sku"],
        name=raw["name"],
        quantity=int(raw["quantity"]),
        unit_price=Money(int(price["amount"]), str(price["currency"])),
        categories=tuple(raw.get("categories", ())),
    )


def _cart(row: Row[Any]) -> Cart:
    return from_row(
        Cart,
        row,
        state=CartState(row.state),
        lines=tuple(_line(raw) for raw in row.lines),
        codes=tuple(row.codes),
        notices=tuple(_notice(raw) for raw in row.notices or ()),
    )


def _values(cart: Cart) -> dict[str, Any]:
    return {
        **row_values(cart),
        "state": str(cart.state),
        "lines": [_line_json(line) for line in cart.lines],
        "codes": list(cart.codes),
        "notices": [_notice_json(notice) for notice in cart.notices],
    }


class CartStore:
    """Carts and the promotion copy on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, cart_id: str, *, lock: bool = False) -> Cart | None:
        """The cart; with `lock`, held until the transaction ends (PostgreSQL; SQLite's writer
        transaction already excludes other writers)."""
        query = select(carts).where(carts.c.id == cart_id)
        row = (await self.connection.execute(query.with_for_update() if lock else query)).first()
        return _cart(row) if row else None

    async def active_of(self, owner: str, *, lock: bool = False) -> Cart | None:
        query = select(carts).where(
            carts.c.owner == owner,
            carts.c.state == CartState.ACTIVE.value,
            carts.c.token_hash.is_(None),
        )
        row = (await self.connection.execute(query.with_for_update() if lock else query)).first()
        return _cart(row) if row else None

    async def insert(self, cart: Cart) -> bool:
        """Add `cart`; False (and nothing written) if its owner already has an active cart."""
        statement = dialect_insert(self.connection, carts).values(_values(cart))
        result = await self.connection.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount == 1)

    async def save(self, cart: Cart) -> None:
        """Write `cart` only if the stored row is still at the version it was derived from."""
        result = await self.connection.execute(
            carts.update()
            .where(carts.c.id == cart.id, carts.c.version == cart.version - 1)
            .values(_values(cart))
        )
        if result.rowcount != 1:
            current = await self.get(cart.id)
            raise StaleVersion(
                resource=f"cart {cart.id}",
                expected=cart.version - 1,
                actual=current.version if current else 0,
            )

    async def active_with(self, sku: str) -> list[Cart]:
        """The active carts with a line of `sku` (the JSON text search only narrows the rows)."""
        rows = await self.connection.execute(
            select(carts).where(
                carts.c.state == CartState.ACTIVE.value,
                cast(carts.c.lines, Text).contains(f'"{sku}"', autoescape=True),
            )
        )
        found = [_cart(row) for row in rows]
        return [cart for cart in found if any(line.sku == sku for line in cart.lines)]

    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool:
        """Remember that `sku` was recalled; False if the cart had already handled its recall."""
        statement = dialect_insert(self.connection, recalled_skus).values(
            sku=sku, reason=reason, at=now
        )
        statement = statement.on_conflict_do_nothing(index_elements=[recalled_skus.c.sku])
        return await self.connection.scalar(statement.returning(recalled_skus.c.sku)) is not None

    async def promotions(self) -> list[PromotionFacts]:
        rows = await self.connection.execute(select(promotions.c.facts))
        return [PromotionFacts.model_validate(row.facts) for row in rows]

    async def codes(self) -> list[CodeFacts]:
        rows = await self.connection.execute(select(codes.c.facts))
        return [CodeFacts.model_validate(row.facts) for row in rows]

    async def keep_promotion(self, facts: PromotionFacts, seq: int) -> None:
        await self._keep_newer(promotions, {"id": facts.id}, facts.model_dump(mode="json"), seq)

    async def keep_code(self, facts: CodeFacts, seq: int) -> None:
        await self._keep_newer(codes, {"code": facts.code}, facts.model_dump(mode="json"), seq)

    async def _keep_newer(
        self, table: Table, key: dict[str, str], facts: dict[str, Any], seq: int
    ) -> None:
        statement = dialect_insert(self.connection, table).values(**key, facts=facts, seq=seq)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(key),
                set_={"facts": statement.excluded.facts, "seq": statement.excluded.seq},
                where=table.c.seq < statement.excluded.seq,
            )
        )
