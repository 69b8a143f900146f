"""A consumer stopped at shutdown stays stopped: the bus may still finish connecting after
`stop()` (its on_connect steps run until the bus itself is closed, later in the shutdown), and
consuming tasks started then were never stopped; they outlived the instance."""

from __future__ import annotations

import asyncio
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider

from bazaar_chassis.bus import Bus
from bazaar_chassis.consumer import EventConsumer
from bazaar_chassis.database import Database
from bazaar_chassis.envelope import Event
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.unit_of_work import UnitOfWork, UnitOfWorkFactory


async def _ignore(event: Event, uow: UnitOfWork) -> None:
    return None


async def _nothing() -> None:
    pass


async def test_a_bus_connecting_after_the_consumer_stopped_starts_no_consuming_task(
    tmp_path: Path,
) -> None:
    bus = Bus(url="nats://127.0.0.1:9", name="never-started")
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sink.db'}")
    consumer = EventConsumer(
        service="sink",
        bus=bus,
        units=UnitOfWorkFactory(database=database, source="/sink/1", after_commit=_nothing),
        handlers={"identity.user_registered.v1": _ignore},
        spans=RequestSpans(TracerProvider(), scope="bazaar", version="1"),
    )
    before = asyncio.all_tasks()
    await consumer.stop()

    await consumer.on_connect(bus)  # the bus's connect loop, running a moment too late

    started = asyncio.all_tasks() - before
    for task in started:
        task.cancel()
    assert not started, f"consuming after stop: {sorted(t.get_name() for t in started)}"
    await database.close()
