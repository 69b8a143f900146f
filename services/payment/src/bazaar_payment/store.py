"""The payment tables and their queries (SQLAlchemy Core): all the SQL of the payment service.

Every change that must not happen twice is a conditional statement (an intent's version, a
transaction's status, the unique (order_id, kind)), so two instances or a redelivered fact can
never both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import StaleVersion, UtcDateTime, dialect_insert, from_row, row_values
from bazaar_payment.domain import Intent, Kind, PaymentMethod, State, Status, Transaction
from bazaar_payment.provider import Notice

metadata = MetaData()

payments = Table(
    "payments",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("customer", String(200)),
    Column("placed", Boolean, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_method_id", String(64)),
    Column("stock_reserved", Boolean, nullable=False),
    Column("codes_awaited", JSON, nullable=False),
    Column("codes_redeemed", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", String(500)),
    Column("provider_ref", String(100)),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

transactions = Table(
    "payment_transactions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("provider_ref", String(100)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
    Column("reason", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("order_id", "kind", name="uq_payment_transactions_order_kind"),
)

methods = Table(
    "payment_methods",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("brand", String(20), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("provider_ref", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

UNSETTLED = [Status.PENDING, Status.SENDING, Status.SENT]


def _intent(row: Any) -> Intent:
    return from_row(Intent, row, state=State(row.state))


def _transaction(row: Any) -> Transaction:
    return from_row(Transaction, row, kind=Kind(row.kind), status=Status(row.status))


class PaymentStore:
    """The payment tables on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def intent(self, order_id: str) -> Intent | None:
        query = select(payments).where(payments.c.order_id == order_id)
        row = (await self.connection.execute(query)).first()
        return _intent(row) if row else None

    async def save_intent(self, intent: Intent) -> None:
        """Insert version 1, or replace the version it was derived from (409 if that moved)."""
        if intent.version == 1:
            await self.connection.execute(payments.insert().values(row_values(intent)))
            return
        result = await self.connection.execute(
            payments.update()
            .where(payments.c.order_id == intent.order_id, payments.c.version == intent.version - 1)
            .values(row_values(intent))
        )
        if result.rowcount != 1:
            raise StaleVersion(
                resource=f"payment {intent.order_id}", expected=intent.version - 1, actual=-1
            )

    async def transaction(self, order_id: str, kind: Kind) -> Transaction | None:
        query = select(transactions).where(
            transactions.c.order_id == order_id, transactions.c.kind == kind
        )
        row = (await self.connection.execute(query)).first()
        return _transaction(row) if row else None

    async def ledger(self, order_id: str) -> list[Transaction]:
        rows = await self.connection.execute(
            select(transactions)
            .where(transactions.c.order_id == order_id)
            .order_by(transactions.c.created_at, transactions.c.id)
        )
        return [_transaction(row) for row in rows]

    async def add_transaction(self, transaction: Transaction) -> None:
        """At most one transaction per (order, kind): a second is silently not added."""
        statement = dialect_insert(self.connection, transactions).values(row_values(transaction))
        await self.connection.execute(statement.on_conflict_do_nothing())

    async def due(self, *, now: datetime, limit: int) -> list[Transaction]:
        rows = await self.connection.execute(
            select(transactions)
            .where(
                transactions.c.status.in_([Status.PENDING, Status.SENDING]),
                transactions.c.next_attempt_at <= now,
            )
            .order_by(transactions.c.next_attempt_at)
            .limit(limit)
        )
        return [_transaction(row) for row in rows]

    async def claim(self, transaction_id: str, *, now: datetime, until: datetime) -> bool:
        """Take a due transaction for sending until `until` (then it is due again)."""
        return await self._update(
            transactions.c.id == transaction_id,
            transactions.c.status.in_([Status.PENDING, Status.SENDING]),
            transactions.c.next_attempt_at <= now,
            values={"status": Status.SENDING, "next_attempt_at": until, "updated_at": now},
        )

    async def mark_sent(self, transaction_id: str, *, provider_ref: str, now: datetime) -> bool:
        return await self._update(
            transactions.c.id == transaction_id,
            transactions.c.status == Status.SENDING,
            values={"status": Status.SENT, "provider_ref": provider_ref, "updated_at": now},
        )

    async def retry_later(
        self, transaction: Transaction, *, at: datetime, reason: str, now: datetime
    ) -> bool:
        return await self._update(
            transactions.c.id == transaction.id,
            transactions.c.status == Status.SENDING,
            values={
                "status": Status.PENDING,
                "attempts": transaction.attempts + 1,
                "next_attempt_at": at,
                "reason": reason,
                "updated_at": now,
            },
        )

    async def settle(self, transaction_id: str, *, notice: Notice, now: datetime) -> bool:
        """Record the outcome once: False if the transaction was already settled."""
        values: dict[str, Any] = {
            "status": notice.status,
            "reason": notice.reason,
            "updated_at": now,
        }
        if notice.provider_ref:
            values["provider_ref"] = notice.provider_ref
        return await self._update(
            transactions.c.id == transaction_id,
            transactions.c.status.in_(UNSETTLED),
            values=values,
        )

    async def withdraw(self, transaction_id: str, *, reason: str, now: datetime) -> bool:
        """Fail a transaction that was never sent (no attempt yet, not claimed)."""
        return await self._update(
            transactions.c.id == transaction_id,
            transactions.c.status == Status.PENDING,
            transactions.c.attempts == 0,
            values={"status": Status.FAILED, "reason": reason, "updated_at": now},
        )

    async def _update(self, *conditions: Any, values: dict[str, Any]) -> bool:
        result = await self.connection.execute(
            transactions.update().where(*conditions).values(values)
        )
        return result.rowcount == 1

    async def add_method(self, method: PaymentMethod) -> None:
        await self.connection.execute(methods.insert().values(row_values(method)))

    async def method(self, method_id: str) -> PaymentMethod | None:
        row = (
            await self.connection.execute(select(methods).where(methods.c.id == method_id))
        ).first()
        return from_row(PaymentMethod, row) if row else None
