"""The orders table and its queries (SQLAlchemy Core): all the SQL of the order service.

Idempotency lives in the schema: unique (customer, idempotency_key) and unique (cart_id), and an
insert that meets either does nothing, so concurrent identical requests yield one order.
"""

from __future__ import annotations

from dataclasses import asdict
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
    UniqueConstraint,
    cast,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import Money, StaleVersion, UtcDateTime, dialect_insert, from_row, row_values
from bazaar_order.domain import (
    Discount,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("customer", String(200), nullable=False),
    Column("email", String(320)),
    Column("cart_id", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("subtotal", JSON, nullable=False),
    Column("discounts", JSON, nullable=False),
    Column("total", JSON, nullable=False),
    Column("codes", JSON, nullable=False),
    Column("payment_method_id", String(200), nullable=False),
    Column("card_brand", String(40), nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("status", String(20), nullable=False),
    Column("payment_status", String(20), nullable=False),
    Column("fulfillment_status", String(20), nullable=False),
    Column("reason", Text),
    Column("version", Integer, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("customer", "idempotency_key", name="uq_orders_customer_key"),
    UniqueConstraint("cart_id", name="uq_orders_cart"),
    Index("ix_orders_customer_placed", "customer", "placed_at"),
)


def _money(value: dict[str, Any]) -> Money:
    return Money(int(value["amount"]), str(value["currency"]))


def _line(value: dict[str, Any]) -> OrderLine:
    return OrderLine(
        sku=value["sku"],
        name=value["name"],
        quantity=int(value["quantity"]),
        unit_price=_money(value["unit_price"]),
        line_total=_money(value["line_total"]),
    )


def _discount(value: dict[str, Any]) -> Discount:
    return Discount(
        promotion_id=value["promotion_id"],
        code=value.get("code"),
        description=value.get("description", ""),
        amount=_money(value["amount"]),
    )


def _to_order(row: Row[Any]) -> Order:
    return from_row(
        Order,
        row,
        lines=tuple(_line(v) for v in row.lines),
        subtotal=_money(row.subtotal),
        discounts=tuple(_discount(v) for v in row.discounts),
        total=_money(row.total),
        codes=tuple(row.codes),
        status=OrderStatus(row.status),
        payment_status=PaymentStatus(row.payment_status),
        fulfillment_status=FulfillmentStatus(row.fulfillment_status),
    )


def _values(order: Order) -> dict[str, Any]:
    return {
        **row_values(order),
        "lines": [asdict(line) for line in order.lines],
        "subtotal": asdict(order.subtotal),
        "discounts": [asdict(d) for d in order.discounts],
        "total": asdict(order.total),
        "codes": list(order.codes),
    }


class OrderStore:
    """The orders table on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """One order; `for_update` locks its row (PostgreSQL) until the transaction ends."""
        statement = select(orders).where(orders.c.id == order_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.connection.execute(statement)).first()
        return _to_order(row) if row else None

    async def find_request(self, *, customer: str, key: str, cart_id: str) -> Order | None:
        """The order this request already made: the caller's same key, or the same cart."""
        row = (
            await self.connection.execute(
                select(orders)
                .where(
                    or_(
                        (orders.c.customer == customer) & (orders.c.idempotency_key == key),
                        orders.c.cart_id == cart_id,
                    )
                )
                .order_by(orders.c.placed_at)
                .limit(1)
            )
        ).first()
        return _to_order(row) if row else None

    async def insert_once(self, order: Order) -> bool:
        """Insert `order` unless its key or cart already made one; False if it did."""
        statement = dialect_insert(self.connection, orders).values(_values(order))
        inserted = await self.connection.scalar(
            statement.on_conflict_do_nothing().returning(orders.c.id)
        )
        return inserted is not None

    async def of_customer(self, customer: str, *, limit: int, offset: int) -> list[Order]:
        """A customer's orders, newest first."""
        rows = await self.connection.execute(
            select(orders)
            .where(orders.c.customer == customer)
            .order_by(orders.c.placed_at.desc(), orders.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_to_order(row) for row in rows]

    async def unshipped_with(self, sku: str) -> list[Order]:
        """Open or confirmed orders not shipped yet that have a line of `sku` (a recall's).

        The lines are JSON, so the text search only narrows the rows; the exact test is on the
        parsed lines."""
        rows = await self.connection.execute(
            select(orders).where(
                orders.c.status.in_([OrderStatus.OPEN.value, OrderStatus.CONFIRMED.value]),
                orders.c.fulfillment_status.not_in(
                    [FulfillmentStatus.SHIPPED.value, FulfillmentStatus.DELIVERED.value]
                ),
                cast(orders.c.lines, Text).contains(f'"{sku}"', autoescape=True),
            )
        )
        found = [_to_order(row) for row in rows]
        return [order for order in found if any(line.sku == sku for line in order.lines)]

    async def replace_version(self, order: Order) -> None:
        """Write `order` only if the stored row is still at the version it was derived from."""
        result = await self.connection.execute(
            orders.update()
            .where(orders.c.id == order.id, orders.c.version == order.version - 1)
            .values(_values(order))
        )
        if result.rowcount != 1:
            raise StaleVersion(
                resource=f"order {order.id}", expected=order.version - 1, actual=order.version
            )
