"""The catalog's quick writes (quick_writes.py): on SQLite its units of work run on the event
loop's thread, commit or roll back whole, and wait for another writer's lock without holding
the loop; on PostgreSQL they stay the chassis's."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bazaar_catalog.quick_reads import QuickConnection
from bazaar_catalog.service import build_app
from bazaar_catalog.store import BUMP_GENERATION, CURRENT_GENERATION
from bazaar_chassis import Runtime, ServiceSettings
from bazaar_chassis.testing import running_app


class Refused(Exception):
    pass


async def _generation(runtime: Runtime) -> int:
    return int(await runtime.read_value(CURRENT_GENERATION))


async def _bump(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await uow.connection.execute(BUMP_GENERATION)


async def _bump_and_refuse(runtime: Runtime) -> None:
    async with runtime.unit_of_work() as uow:
        await uow.connection.execute(BUMP_GENERATION)
        raise Refused


@pytest.mark.each_database
async def test_a_unit_of_work_commits_whole_or_not_at_all(
    service_settings: ServiceSettings,
) -> None:
    app = build_app(service_settings)
    runtime = app.state.runtime
    on_sqlite = runtime.database.dialect == "sqlite"
    async with running_app(app, caller=None):
        before = await _generation(runtime)
        async with runtime.unit_of_work() as uow:
            assert isinstance(uow.connection, QuickConnection) is on_sqlite
            await uow.connection.execute(BUMP_GENERATION)
            async with uow.connection.begin_nested():  # the consumer's one-by-one fallback
                await uow.connection.execute(BUMP_GENERATION)
        assert await _generation(runtime) == before + 2
        with pytest.raises(Refused):
            await _bump_and_refuse(runtime)
        assert await _generation(runtime) == before + 2


async def test_a_write_waits_for_another_writer_on_the_loop_not_in_sqlite(
    service_settings: ServiceSettings,
) -> None:
    app = build_app(service_settings)
    runtime = app.state.runtime
    async with running_app(app, caller=None):
        before = await _generation(runtime)
        other = sqlite3.connect(make_url(runtime.database.url).database or "", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer (an instance) holds the lock
        try:
            write = asyncio.create_task(_bump(runtime))
            ticking = asyncio.create_task(_loop_turns(10))
            # Waiting inside SQLite would hold the loop: the ten turns would not come in time.
            await asyncio.wait_for(ticking, timeout=10)
            assert not write.done(), "the write went ahead while another writer held the lock"
        finally:
            other.execute("ROLLBACK")
            other.close()
        await asyncio.wait_for(write, timeout=5)
        assert await _generation(runtime) == before + 1
        async with runtime.reads() as store:
            assert await store.connection.scalar(text(CURRENT_GENERATION)) == before + 1


async def _loop_turns(count: int) -> None:
    """`count` turns of the event loop, 5 ms apart: they come only while nothing holds it."""
    for _ in range(count):
        await asyncio.sleep(0.005)
