"""Idempotent inbox: remembers which events a consumer has applied, in the same transaction.

The key is (consumer, event id): a redelivered or re-published event is recognised and skipped,
so each fact changes a service's state at most once, whatever JetStream redelivers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.database import dialect_insert
from bazaar_chassis.outbox import chassis_metadata

inbox_table = Table(
    "inbox",
    chassis_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

RETENTION = timedelta(days=7)


async def claim_many(
    connection: AsyncConnection, *, consumer: str, event_ids: list[str]
) -> set[str]:
    """Mark a batch of events as processed; returns the ids that were not processed before."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    statement = (
        dialect_insert(connection, inbox_table)
        .values([{"consumer": consumer, "event_id": e, "processed_at": now} for e in event_ids])
        .on_conflict_do_nothing()
        .returning(inbox_table.c.event_id)
    )
    return set((await connection.execute(statement)).scalars())


async def forget_older_than(connection: AsyncConnection, *, now: datetime | None = None) -> int:
    """Drop entries past the retention period (longer than any redelivery or replay window)."""
    cutoff = (now or datetime.now(UTC)) - RETENTION
    result = await connection.execute(
        delete(inbox_table).where(inbox_table.c.processed_at < cutoff)
    )
    return int(result.rowcount or 0)
