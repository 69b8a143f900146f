"""What the relay spends per committed write: on SQLite it reads the outbox at once, without the
hand-offs of a snapshot, and a commit reads only the rows it has not sent (not every acknowledged
row waiting for its delete); the rows of a burst are deleted together, not one delete per write
(bench/notes/P3.md, tenth and twelfth passes: these were most of a price write's CPU)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import outbox
from bazaar_chassis.database import Database
from bazaar_chassis.testing import eventually
from bazaar_platform.nats_server import NatsServer

from .test_outbox_cleanup_off_the_publish_path import (
    commit_note,
    outbox_is_empty,
    relay_on,
    stream_holds,
)
from .test_outbox_sends_without_waiting_for_acks import committing_units

BURST = 20


class CountedDatabase(Database):
    """A database that counts its write transactions and can hold its snapshots at a gate."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.snapshots_open = asyncio.Event()
        self.snapshots_open.set()
        self.transactions = 0

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        await self.snapshots_open.wait()
        async with super().snapshot() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        self.transactions += 1
        async with super().transaction() as connection:
            yield connection


class RowsRead(Database):
    """A database that records how many rows each of its reads at once returned."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.rows_read: list[int] = []

    def read_at_once(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        rows = super().read_at_once(sql, parameters)
        self.rows_read.append(len(rows or []))
        return rows


async def test_on_sqlite_a_commit_reads_only_the_rows_it_has_not_sent(
    sqlite_url: str, nats_server: NatsServer
) -> None:
    database = RowsRead(sqlite_url)
    async with committing_units(database, nats_server) as (units, _bus):
        for n in range(BURST):
            async with units() as uow:
                uow.emit("notes.note_written.v1", subject=f"n{n}", sequence=1, data={"text": "-"})
        await eventually(stream_holds(nats_server, BURST), message="not every event was sent")
        # No delete runs here: every earlier row is still in the outbox, acknowledged or not.
        assert database.rows_read == [1] * BURST


async def test_on_sqlite_the_relay_reads_the_outbox_without_waiting_for_a_snapshot(
    sqlite_url: str, nats_server: NatsServer
) -> None:
    relays = CountedDatabase(sqlite_url)
    async with relay_on(sqlite_url, nats_server, relays) as (writes, relay):
        relays.snapshots_open.clear()  # from now on, a snapshot of the relay's never opens
        await commit_note(writes, "first")
        relay.wake()
        await eventually(stream_holds(nats_server, 1), message="the relay waited for a snapshot")


async def test_on_postgresql_read_at_once_leaves_every_read_to_snapshots(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        assert database.read_at_once("SELECT 1", ()) is None
    finally:
        await database.close()


async def test_the_rows_of_a_burst_of_writes_are_deleted_together(
    database_url: str, nats_server: NatsServer
) -> None:
    relays = CountedDatabase(database_url)
    async with relay_on(database_url, nats_server, relays) as (writes, relay):
        for number in range(BURST):  # each its own commit, each waking the relay
            await commit_note(writes, f"note-{number}")
            relay.wake()
        await eventually(stream_holds(nats_server, BURST), message="the burst was not published")
        await eventually(
            lambda: outbox_is_empty(writes), message="the published rows were never deleted"
        )
        # One delete per quarter second at most, whatever the number of writes in it: a burst
        # that takes even 1 s to commit costs ~5, where one delete per publish round cost ~20.
        assert relays.transactions <= BURST // 4, (
            f"{relays.transactions} deletes for {BURST} writes "
            f"(rows gather {outbox.FORGET_AFTER_SECONDS} s before each)"
        )
