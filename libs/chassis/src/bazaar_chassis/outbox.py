"""Transactional outbox: events are rows written in the same transaction as the state change.

A crash between commit and publish loses nothing: every row found is published with
`Nats-Msg-Id` = event id, so JetStream drops a re-publish inside its duplicate window. Right
after a commit its rows are sent, on SQLite by the committing task itself (`send_committed`),
without waiting for acknowledgements; a row unacknowledged after 5 s is sent again. The relay
task's slow poll covers rows of other instances, left before a crash, or refused. Acknowledged
rows are deleted in bulk a quarter second at a time, in a task of their own, so sending never
waits for the writer. Each of these was most of a write's CPU or of its event's delay
(bench/notes/P3.md, tenth and twelfth passes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.bus import Bus
from bazaar_chassis.database import Database
from bazaar_chassis.envelope import Event, event_name_of
from bazaar_chassis.jobs import raise_if_cancelled

chassis_metadata = MetaData()

outbox_table = Table(
    "outbox",
    chassis_metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("subject", String(200), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Positions must never be reused (the relay remembers how far it published), and SQLite
    # reuses rowids of deleted rows unless told otherwise.
    sqlite_autoincrement=True,
)

_log = structlog.get_logger("bazaar.outbox")

PUBLISH_ACK_TIMEOUT_SECONDS = 5.0
BATCH_SIZE = 500  # rows read and published per round
FORGET_AFTER_SECONDS = 0.25  # how long acknowledged rows gather before one delete


class _Row(NamedTuple):
    """An outbox row as the relay publishes it."""

    position: int
    event_id: str
    subject: str
    payload: bytes


# Rows after position `after` (0: all). On SQLite a row committed later always has a higher
# position, so a commit's own rows are those after the last one sent: a read of a few rows, not
# of every acknowledged row still waiting for its delete (~165 µs per commit for 200).
_UNPUBLISHED = (
    select(*(outbox_table.c[name] for name in _Row._fields))
    .where(outbox_table.c.position > bindparam("after"))
    .order_by("position")
)
# The same read in SQLite's own SQL, for `Database.read_at_once`; its parameters: after, LIMIT,
# OFFSET.
_UNPUBLISHED_SQLITE = str(_UNPUBLISHED.limit(1).compile(dialect=sqlite.dialect()))


async def stage_events(connection: AsyncConnection, events: list[Event]) -> None:
    """Write `events` to the outbox inside the caller's transaction."""
    if not events:
        return
    now = datetime.now(UTC)
    await connection.execute(
        outbox_table.insert(),
        [
            {
                "event_id": e.id,
                "subject": e.nats_subject,
                "payload": e.to_json(),
                "created_at": now,
            }
            for e in events
        ],
    )


class OutboxRelay:
    """Moves outbox rows to JetStream, in order, in batches, as soon as they are committed."""

    def __init__(
        self,
        *,
        database: Database,
        bus: Bus,
        poll_seconds: float = 1.0,
        on_published: Callable[[str], None] = lambda name: None,
    ) -> None:
        self._database = database
        # told the name of each event it got into the stream (for metrics)
        self._on_published = on_published
        self._bus = bus
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._forget = asyncio.Event()  # set when acknowledged rows are waiting to be deleted
        # A read of the outbox and its filtering by `_published` are one step: a delete that
        # commits meanwhile must not drop its rows from `_published` before the filter ran, or
        # a read from before the delete would publish them again.
        self._reading = asyncio.Lock()
        # Rows the stream has acknowledged but that are not deleted yet: they are deleted in
        # bulk, off the publish path, so a burst of writes is not queued behind DELETEs. A set,
        # not a high-water mark: on PostgreSQL a lower position may commit after a higher one.
        self._published: set[int] = set()
        self._in_flight: set[int] = set()  # sent, not yet acknowledged (or refused)
        self._sent_up_to = 0  # the highest position sent

    def wake(self) -> None:
        """Have the relay task look for rows to send (the bus is back, a row was refused)."""
        self._wake.set()

    async def send_committed(self) -> None:
        """Called right after a commit that staged events, in the committing task's step: on
        SQLite their rows are read at once and written to the bus's socket before the loop
        moves on; on PostgreSQL, whose read would wait, or while the bus is away, the relay
        task is woken instead. Nothing here may fail the committed write."""
        if self._database.dialect != "sqlite" or not self._bus.ready:
            self.wake()
            return
        try:
            if await self._publish_batch(after=self._sent_up_to) == BATCH_SIZE:
                self.wake()  # the relay task sends the rest
            self._bus.write_now()
        except Exception as exc:  # the rows stay; the relay task retries them
            raise_if_cancelled()
            _log.warning("outbox send after commit failed", error=str(exc))
            self.wake()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._forget_when_asked())
            await self._publish_when_woken()

    async def _publish_when_woken(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and shutdown would then wait for the relay forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            try:
                while self._bus.ready and await self._publish_batch() == BATCH_SIZE:
                    pass
            except Exception as exc:  # bus or database hiccup: the rows stay, retry next round
                raise_if_cancelled()
                _log.warning("outbox relay round failed", error=str(exc))

    async def _forget_when_asked(self) -> None:
        """Delete acknowledged rows a quarter second after the publisher asks, one request at a
        time: asks that arrive meanwhile, or while a delete waits for the writer, are served by
        the next delete."""
        while True:
            await self._forget.wait()
            await asyncio.sleep(FORGET_AFTER_SECONDS)  # the rest of a burst joins this delete
            self._forget.clear()
            try:
                await self._forget_published()
            except Exception as exc:  # the rows stay in `_published`; the next ask retries
                raise_if_cancelled()
                _log.warning("outbox cleanup failed", error=str(exc))

    async def backlog(self) -> int:
        """Events committed here that this instance has not yet seen acknowledged."""
        async with self._database.snapshot() as connection:
            count = await connection.scalar(select(func.count()).select_from(outbox_table))
        return max(0, int(count or 0) - len(self._published))

    async def _publish_batch(self, *, after: int = 0) -> int:
        """Send the rows not yet sent, without waiting for their acknowledgements: those come
        back to `_acknowledged` while the next commits are already being sent."""
        async with self._reading:
            rows = await self._unpublished_rows(after)
        if not rows:
            return 0
        js = self._bus.js
        for row in rows:
            ack = await js.publish_async(
                row.subject, row.payload, headers={"Nats-Msg-Id": row.event_id}
            )
            self._in_flight.add(row.position)
            self._sent_up_to = max(self._sent_up_to, row.position)
            ack.add_done_callback(partial(self._acknowledged, row))
            # publish_async futures have no deadline of their own: a lost ack must not stall us
            asyncio.get_running_loop().call_later(PUBLISH_ACK_TIMEOUT_SECONDS, ack.cancel)
        return len(rows)

    def _acknowledged(self, row: _Row, ack: asyncio.Future[Any]) -> None:
        self._in_flight.discard(row.position)
        if ack.cancelled() or ack.exception() is not None:
            error = "no ack from JetStream" if ack.cancelled() else ack.exception()
            _log.warning("outbox publish failed; will retry", error=str(error))
            return  # the row is read again in the next round: on the next commit or poll
        self._published.add(row.position)
        self._on_published(event_name_of(row.subject))
        self._forget.set()

    async def _unpublished_rows(self, after: int) -> list[_Row]:
        limit = BATCH_SIZE + len(self._published) + len(self._in_flight)
        rows: Sequence[Any] | None = self._database.read_at_once(
            _UNPUBLISHED_SQLITE, (after, limit, 0)
        )
        if rows is None:
            async with self._database.snapshot() as connection:
                statement = _UNPUBLISHED.limit(limit)
                rows = (await connection.execute(statement, {"after": after})).all()
        sent = self._published | self._in_flight
        return [_Row(*row) for row in rows if row[0] not in sent][:BATCH_SIZE]

    async def _forget_published(self) -> None:
        """Delete rows the stream has acknowledged (JetStream de-duplicates a re-publish)."""
        if not self._published:
            return
        positions = sorted(self._published)
        async with self._database.transaction() as connection:
            for start in range(0, len(positions), 900):  # SQLite's bound-parameter limit
                chunk = positions[start : start + 900]
                await connection.execute(
                    delete(outbox_table).where(outbox_table.c.position.in_(chunk))
                )
        async with self._reading:
            self._published.difference_update(positions)
