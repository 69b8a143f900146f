"""Write transactions on the loop's thread (sqlite_on_loop.py): on SQLite they run on the event
loop's thread, commit or roll back whole, savepoints included, and wait for another writer's
lock without holding the loop; on PostgreSQL they stay SQLAlchemy's async ones."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.database import Database
from bazaar_chassis.sqlite_on_loop import LoopConnection

from .conftest import MIGRATIONS

counter = Table("counter", MetaData(), Column("n", Integer, nullable=False))
BUMP = update(counter).values(n=counter.c.n + 1)


class Refused(Exception):
    pass


async def _count(database: Database) -> int:
    async with database.snapshot() as connection:
        return int(await connection.scalar(select(counter.c.n)) or 0)


async def _bump(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(BUMP)


async def _bump_and_refuse(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute(BUMP)
        raise Refused


async def _bump_in_savepoint_and_refuse(connection: AsyncConnection) -> None:
    async with connection.begin_nested():
        await connection.execute(BUMP)
        raise Refused


async def _database(url: str) -> Database:
    database = Database(url)
    await database.migrate([MIGRATIONS])
    async with database.transaction() as connection:
        await connection.run_sync(counter.metadata.create_all)
        await connection.execute(counter.insert().values(n=0))
    return database


async def test_a_transaction_commits_whole_or_not_at_all(database_url: str) -> None:
    database = await _database(database_url)
    try:
        async with database.transaction() as connection:
            assert isinstance(connection, LoopConnection) is (database.dialect == "sqlite")
            await connection.execute(BUMP)
            with pytest.raises(Refused):  # a savepoint rolls back alone
                await _bump_in_savepoint_and_refuse(connection)
            async with connection.begin_nested():
                await connection.execute(BUMP)
        assert await _count(database) == 2
        with pytest.raises(Refused):
            await _bump_and_refuse(database)
        assert await _count(database) == 2
    finally:
        await database.close()


async def test_a_write_waits_for_another_writer_on_the_loop_not_in_sqlite(
    sqlite_url: str,
) -> None:
    database = await _database(sqlite_url)
    other = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer (an instance) holds the lock
        write = asyncio.create_task(_bump(database))
        ticking = asyncio.create_task(_loop_turns(10))
        # Waiting inside SQLite would hold the loop: the ten turns would not come in time.
        await asyncio.wait_for(ticking, timeout=10)
        assert not write.done(), "the write went ahead while another writer held the lock"
        other.execute("ROLLBACK")
        await asyncio.wait_for(write, timeout=5)
        assert await _count(database) == 1
    finally:
        other.close()
        await database.close()


async def _loop_turns(count: int) -> None:
    """`count` turns of the event loop, 5 ms apart: they come only while nothing holds it."""
    for _ in range(count):
        await asyncio.sleep(0.005)
