"""`units_within`: a use case called by an event handler runs in a savepoint of the handler's
transaction, so a unit that raises leaves neither rows nor events while the others commit."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UnitOfWork, Units, units_within
from bazaar_chassis.database import Database

metadata = MetaData()
marks = Table("marks", metadata, Column("key", String(20), primary_key=True))


def same_connection(connection: AsyncConnection) -> AsyncConnection:
    return connection


async def refused_unit(units: Units[AsyncConnection]) -> None:
    async with units() as work:
        await work.store.execute(marks.insert().values(key="lost"))
        work.emit("t.marked.v1", subject="lost", sequence=1, data={})
        raise ValueError("refused")


async def test_a_failed_unit_leaves_nothing_behind_and_the_handlers_other_units_commit(
    database_url: str,
) -> None:
    database = Database(database_url)
    try:
        async with database.transaction() as connection:
            await connection.run_sync(metadata.create_all)
        async with database.transaction() as connection:
            uow = UnitOfWork(connection, source="/test")
            units = units_within(uow, same_connection)
            async with units() as work:
                await work.store.execute(marks.insert().values(key="kept"))
                work.emit("t.marked.v1", subject="kept", sequence=1, data={})
            with pytest.raises(ValueError, match="refused"):
                await refused_unit(units)
            async with units() as work:  # the transaction goes on after a failed unit
                await work.store.execute(marks.insert().values(key="after"))
        assert [e.subject for e in uow.events] == ["kept"]
        async with database.snapshot() as connection:
            keys = sorted((await connection.scalars(select(marks.c.key))).all())
        assert keys == ["after", "kept"]
    finally:
        await database.close()
