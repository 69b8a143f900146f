"""The messages table and its queries (SQLAlchemy Core): all the SQL of the notification service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UtcDateTime, dialect_insert, from_row, row_values
from bazaar_notification.domain import Delivery, Message, MessageQuery, Purchase

metadata = MetaData()

messages = Table(
    "messages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("to_email", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("order_id", String(64), nullable=True),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("delivery", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=False),
)

# Who bought what (from order.confirmed), so a recall reaches exactly the buyers of its SKU.
purchases = Table(
    "purchases",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("recipient", String(64), primary_key=True),
    Column("to_email", String(254), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
)

recalls = Table(
    "recalls",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

RENAME = {"to": "to_email"}


def _message(row: Row[object]) -> Message:
    return from_row(Message, row, rename=RENAME, delivery=Delivery(row.delivery))


class MessageStore:
    """The messages table on one connection: what the use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, message: Message) -> bool:
        """Keep `message` unless one answering the same event exists (then False): a unique
        constraint, so concurrent deliveries of one event can never write two."""
        inserted = await self.connection.scalar(
            dialect_insert(self.connection, messages)
            .values(row_values(message, rename=RENAME))
            .on_conflict_do_nothing(index_elements=[messages.c.event_id])
            .returning(messages.c.id)
        )
        return inserted is not None

    async def add_purchase(self, purchase: Purchase) -> None:
        """Remember that `purchase.recipient` bought `purchase.sku` (the first order is kept)."""
        await self.connection.execute(
            dialect_insert(self.connection, purchases)
            .values(row_values(purchase, rename=RENAME))
            .on_conflict_do_nothing(index_elements=[purchases.c.sku, purchases.c.recipient])
        )

    async def buyers(self, sku: str) -> list[Purchase]:
        rows = await self.connection.execute(
            select(purchases).where(purchases.c.sku == sku).order_by(purchases.c.recipient)
        )
        return [from_row(Purchase, row, rename=RENAME) for row in rows]

    async def mark_recalled(self, sku: str, *, reason: str, now: datetime) -> bool:
        """Remember the recall of `sku`; False if it was recalled before (the first stays)."""
        inserted = await self.connection.scalar(
            dialect_insert(self.connection, recalls)
            .values(sku=sku, reason=reason, at=now)
            .on_conflict_do_nothing(index_elements=[recalls.c.sku])
            .returning(recalls.c.sku)
        )
        return inserted is not None

    async def recall_reason(self, sku: str) -> str | None:
        found = await self.connection.scalar(select(recalls.c.reason).where(recalls.c.sku == sku))
        return None if found is None else str(found)

    async def get(self, message_id: str) -> Message | None:
        row = (
            await self.connection.execute(select(messages).where(messages.c.id == message_id))
        ).first()
        return _message(row) if row else None

    async def page(
        self, query: MessageQuery, *, limit: int, offset: int
    ) -> tuple[int, list[Message]]:
        """Newest first."""
        conditions = []
        if query.recipient is not None:
            conditions.append(messages.c.recipient == query.recipient)
        if query.to is not None:
            conditions.append(func.lower(messages.c.to_email) == query.to.lower())
        total = await self.connection.scalar(
            select(func.count()).select_from(messages).where(*conditions)
        )
        rows = await self.connection.execute(
            select(messages)
            .where(*conditions)
            .order_by(messages.c.sent_at.desc(), messages.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return int(total or 0), [_message(r) for r in rows]

    async def due(self, *, now: datetime, limit: int) -> list[Message]:
        """Messages waiting to be sent whose next attempt is due, oldest first."""
        rows = await self.connection.execute(
            select(messages)
            .where(messages.c.delivery == Delivery.PENDING, messages.c.next_attempt_at <= now)
            .order_by(messages.c.next_attempt_at, messages.c.id)
            .limit(limit)
        )
        return [_message(r) for r in rows]

    async def claim(self, message: Message, *, until: datetime) -> bool:
        """Take `message` for one attempt: move its next attempt to `until` only if nobody moved
        it since we read it, so two senders never attempt the same message at once."""
        result = await self.connection.execute(
            messages.update()
            .where(
                messages.c.id == message.id,
                messages.c.delivery == Delivery.PENDING,
                messages.c.next_attempt_at == message.next_attempt_at,
            )
            .values(next_attempt_at=until)
        )
        return result.rowcount == 1

    async def record_attempt(self, message: Message) -> None:
        await self.connection.execute(
            messages.update()
            .where(messages.c.id == message.id)
            .values(
                delivery=message.delivery,
                attempts=message.attempts,
                next_attempt_at=message.next_attempt_at,
                delivered_at=message.delivered_at,
                last_error=message.last_error,
            )
        )
