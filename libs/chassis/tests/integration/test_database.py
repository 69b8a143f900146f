"""The database wrapper: concurrent writers from several instances never lose an update and
never see "database is locked"; migrations apply once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from bazaar_chassis import inbox
from bazaar_chassis.database import Database

from .conftest import MIGRATIONS

counters = Table(
    "counters", MetaData(), Column("key", String(10), primary_key=True), Column("n", Integer)
)


async def test_two_instances_incrementing_concurrently_lose_no_update(database_url: str) -> None:
    first, second = Database(database_url), Database(database_url)
    await first.migrate([MIGRATIONS])
    async with first.transaction() as connection:
        await connection.run_sync(counters.metadata.create_all)
        await connection.execute(counters.insert().values(key="k", n=0))

    async def increment(database: Database) -> None:
        async with database.transaction() as connection:
            current = await connection.scalar(
                select(counters.c.n).where(counters.c.key == "k").with_for_update()
            )
            assert current is not None

            await connection.execute(
                counters.update().where(counters.c.key == "k").values(n=current + 1)
            )

    await asyncio.gather(*(increment(db) for _ in range(50) for db in (first, second)))
    async with first.snapshot() as connection:
        assert await connection.scalar(select(counters.c.n)) == 100
    await first.close()
    await second.close()


async def test_migrations_apply_every_branch_once_even_when_run_twice(database_url: str) -> None:
    database = Database(database_url)
    await database.migrate([MIGRATIONS])
    await database.migrate([MIGRATIONS])
    async with database.snapshot() as connection:
        heads = sorted(
            (await connection.scalars(text("SELECT version_num FROM alembic_version"))).all()
        )
    assert heads == ["chassis_0002", "testbed_0001"]
    assert await database.ping()
    await database.close()


async def test_inbox_entries_past_the_retention_period_are_forgotten(database_url: str) -> None:
    database = Database(database_url)
    await database.migrate([MIGRATIONS])
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        assert await inbox.claim_many(connection, consumer="c", event_ids=["old", "new"]) == {
            "old",
            "new",
        }
        await connection.execute(
            inbox.inbox_table.update()
            .where(inbox.inbox_table.c.event_id == "old")
            .values(processed_at=now - inbox.RETENTION - timedelta(minutes=1))
        )
        assert await inbox.forget_older_than(connection, now=now) == 1
        again = ["old", "new", "old"]  # a batch may hold one event twice (a redelivery)
        assert await inbox.claim_many(connection, consumer="c", event_ids=again) == {"old"}
        assert await inbox.claim_many(connection, consumer="c", event_ids=again) == set()
    await database.close()
