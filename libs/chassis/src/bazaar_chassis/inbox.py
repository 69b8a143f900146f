"""Idempotent inbox: remembers which events a consumer has applied, in the same transaction.

The key is (consumer, event id): a redelivered or re-published event is recognised and skipped,
so each fact changes a service's state at most once, whatever JetStream redelivers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.database import insert_for
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
    """Mark a batch of events as processed; returns the ids that were not processed before.

    One row's statement given every row (SQLAlchemy sends them as one multi-row INSERT): it is
    compiled once, where a statement holding the batch's rows was compiled for every batch."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    rows = [{"consumer": consumer, "event_id": e, "processed_at": now} for e in event_ids]
    result = await connection.execute(_claim(connection.dialect.name), rows)
    return set(result.scalars())


@cache
def _claim(dialect: str) -> Any:
    statement = insert_for(dialect, inbox_table).on_conflict_do_nothing()
    return statement.returning(inbox_table.c.event_id)


async def forget_older_than(connection: AsyncConnection, *, now: datetime | None = None) -> int:
    """Drop entries past the retention period (longer than any redelivery or replay window)."""
    cutoff = (now or datetime.now(UTC)) - RETENTION
    result = await connection.execute(
        delete(inbox_table).where(inbox_table.c.processed_at < cutoff)
    )
    return int(result.rowcount or 0)
