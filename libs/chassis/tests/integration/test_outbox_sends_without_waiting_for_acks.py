"""The relay sends each commit's rows without waiting for the previous rows' acknowledgements,
on SQLite before the committing task lets the loop move on (bench/notes/P3.md, twelfth pass);
a row whose acknowledgement never comes is sent again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from nats.js.client import JetStreamContext

from bazaar_chassis import outbox
from bazaar_chassis.bus import Bus
from bazaar_chassis.database import Database
from bazaar_chassis.outbox import OutboxRelay
from bazaar_chassis.testing import eventually
from bazaar_chassis.unit_of_work import UnitOfWorkFactory
from bazaar_platform.nats_server import NatsServer

from .test_outbox_and_inbox import stream_messages
from .test_outbox_cleanup_off_the_publish_path import (
    commit_note,
    outbox_is_empty,
    relay_on,
    stream_holds,
)

ACK_TIMEOUT_SECONDS = outbox.PUBLISH_ACK_TIMEOUT_SECONDS


class HeldAcks:
    """A JetStream context whose publishes reach the stream at once but whose acknowledgements
    reach the relay only when `release` is set (as from a server slow to answer)."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self.release = asyncio.Event()
        self.sent = 0

    async def publish_async(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        real = await self._js.publish_async(*args, **kwargs)
        self.sent += 1
        held: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def hand_over() -> None:
            await self.release.wait()
            ack = await real
            if not held.done():
                held.set_result(ack)

        asyncio.get_running_loop().create_task(hand_over())
        return held


class BusWithHeldAcks(Bus):
    def __init__(self, url: str) -> None:
        super().__init__(url=url, name="relay-test")
        self.held: HeldAcks | None = None

    @property
    def js(self) -> Any:
        if self.held is None:
            self.held = HeldAcks(super().js)
        return self.held


async def test_a_commit_is_sent_while_the_previous_acknowledgements_are_outstanding(
    database_url: str, nats_server: NatsServer
) -> None:
    bus = BusWithHeldAcks(nats_server.url)
    async with relay_on(database_url, nats_server, Database(database_url), bus) as (writes, _):
        await commit_note(writes, "first")
        await eventually(stream_holds(nats_server, 1), message="the first event was not sent")
        await commit_note(writes, "second")
        await eventually(  # well before the 5 s after which an unanswered row is sent again
            stream_holds(nats_server, 2),
            timeout=ACK_TIMEOUT_SECONDS / 2,
            message="the second event waited for the first one's acknowledgement",
        )
        assert bus.held is not None
        bus.held.release.set()
        await eventually(lambda: outbox_is_empty(writes), message="rows never deleted")


async def test_a_row_whose_acknowledgement_never_comes_is_sent_again_and_stored_once(
    database_url: str, nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "PUBLISH_ACK_TIMEOUT_SECONDS", 0.2)
    bus = BusWithHeldAcks(nats_server.url)
    async with relay_on(database_url, nats_server, Database(database_url), bus) as (writes, _):
        await commit_note(writes, "lost")

        async def sent_again() -> bool:
            return bus.held is not None and bus.held.sent >= 2

        await eventually(sent_again, message="the unacknowledged row was not sent again")
        assert bus.held is not None
        bus.held.release.set()
        await eventually(lambda: outbox_is_empty(writes), message="the row was never deleted")
        assert await stream_messages(nats_server, "NOTES") == 1  # JetStream dropped the copies


@asynccontextmanager
async def committing_units(
    database: Database, nats_server: NatsServer
) -> AsyncIterator[tuple[UnitOfWorkFactory, Bus]]:
    """Units of work on `database` whose commits send their events through a ready bus; no relay
    task runs, so nothing else sends, and acknowledged rows are never deleted."""
    await database.migrate([])
    bus, ready = Bus(url=nats_server.url, name="relay-test"), asyncio.Event()
    bus.on_ready(ready.set)
    await bus.start()
    await asyncio.wait_for(ready.wait(), timeout=10)
    relay = OutboxRelay(database=database, bus=bus)
    try:
        yield (
            UnitOfWorkFactory(
                database=database, source="/notes/1", after_commit=relay.send_committed
            ),
            bus,
        )
    finally:
        await bus.close()
        await database.close()


async def test_on_sqlite_a_commit_writes_its_event_to_the_socket_before_the_loop_moves_on(
    sqlite_url: str, nats_server: NatsServer
) -> None:
    async with committing_units(Database(sqlite_url), nats_server) as (units, bus):
        sent_before = bus.client.stats["out_msgs"]
        async with units() as uow:
            uow.emit("notes.note_written.v1", subject="n1", sequence=1, data={"text": "hi"})
        # No await since the commit: the client's flusher task has not had a turn.
        assert bus.client.stats["out_msgs"] == sent_before + 1
        assert bus.client.pending_data_size == 0, "the event is still in the client's buffer"
        await eventually(stream_holds(nats_server, 1), message="the event never reached the stream")
