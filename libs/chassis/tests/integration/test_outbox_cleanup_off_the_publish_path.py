"""The relay's delete of published outbox rows waits for the writer behind every queued write;
events committed meanwhile must still reach the stream at once (docs/benchmarks.md P3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.bus import Bus
from bazaar_chassis.database import Database
from bazaar_chassis.envelope import Event
from bazaar_chassis.outbox import OutboxRelay, outbox_table, stage_events
from bazaar_chassis.testing import eventually
from bazaar_platform.nats_server import NatsServer

from .test_outbox_and_inbox import stream_messages


class QueuedWriter(Database):
    """A database whose write transactions wait at a gate, as behind a queue of other writes."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = asyncio.Event()
        self.waiting = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        self.waiting += 1
        await self.gate.wait()
        async with super().transaction() as connection:
            yield connection


async def commit_note(database: Database, key: str) -> None:
    event = Event(
        type="notes.note_written.v1", subject=key, sequence=1, data={"text": key}, source="notes"
    )
    async with database.transaction() as connection:
        await stage_events(connection, [event])


def stream_holds(nats_server: NatsServer, count: int) -> Callable[[], Awaitable[bool]]:
    """A condition for `eventually`: the NOTES stream holds `count` events."""

    async def holds() -> bool:
        return await stream_messages(nats_server, "NOTES") == count

    return holds


async def outbox_is_empty(database: Database) -> bool:
    async with database.snapshot() as connection:
        rows = await connection.scalar(select(func.count()).select_from(outbox_table))
        return rows == 0


@asynccontextmanager
async def relay_on(
    database_url: str, nats_server: NatsServer, relays: Database, bus: Bus | None = None
) -> AsyncIterator[tuple[Database, OutboxRelay]]:
    """A migrated database to write to, and a relay running on `relays`, its own view of it,
    publishing through `bus` (by default a plain one)."""
    writes = Database(database_url)
    await writes.migrate([])
    bus = bus or Bus(url=nats_server.url, name="relay-test")
    await bus.start()
    await bus.wait_connected(timeout=10)
    relay = OutboxRelay(database=relays, bus=bus, poll_seconds=0.05)
    running = asyncio.create_task(relay.run())
    try:
        yield writes, relay
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await bus.close()
        await relays.close()
        await writes.close()


async def test_an_event_committed_while_the_cleanup_waits_for_the_writer_is_published_at_once(
    database_url: str, nats_server: NatsServer
) -> None:
    relays_database = QueuedWriter(database_url)
    async with relay_on(database_url, nats_server, relays_database) as (writes, relay):
        await commit_note(writes, "first")
        relay.wake()
        await eventually(stream_holds(nats_server, 1), message="the first event was not published")

        async def cleanup_waits() -> bool:
            return relays_database.waiting >= 1

        await eventually(cleanup_waits, message="no cleanup waits for the writer")
        await commit_note(writes, "second")
        relay.wake()
        await eventually(
            stream_holds(nats_server, 2), message="the second event waited behind the cleanup"
        )
        assert await relay.backlog() == 0  # both acknowledged, neither deleted yet
        relays_database.gate.set()
        await eventually(
            lambda: outbox_is_empty(writes), message="the published rows were never deleted"
        )
        assert await stream_messages(nats_server, "NOTES") == 2
