"""A read or a write cancelled at shutdown must leave no task that outlives cancellation, and
no lock.

Shutdown cancels a background job in the middle of its snapshot, and `stop_task` cancels it
again while SQLAlchemy is still closing the abandoned aiosqlite connection. SQLAlchemy then
forces the close and leaves its graceful close running in a task of its own; closing the event
loop cancels that task once, and it must end. With aiosqlite's own connection it waited forever
(a flaky 180 s teardown hang in CI), because its `close()` waited for a second `stop()` that
the worker thread, gone after the first, never answered.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import text

from bazaar_chassis.database import Database
from bazaar_chassis.testing import eventually

T = TypeVar("T")


async def test_a_read_cancelled_twice_while_sqlite_is_busy_leaves_no_task_ignoring_cancel(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    busy, release = threading.Event(), threading.Event()
    before = asyncio.all_tasks()
    reader = asyncio.create_task(_read_held_in_sqlite(database, busy, release))
    try:
        await eventually(_returns(busy.is_set), message="the read never reached SQLite")

        reader.cancel()  # shutdown: SQLAlchemy lets go of the connection, closing it in a task
        closing = await eventually(
            _returns(lambda: asyncio.all_tasks() - before - {reader}),
            message="SQLAlchemy did not start closing the abandoned connection",
        )
        reader.cancel()  # cancelled again while that close waits: SQLAlchemy forces it
        await asyncio.wait({reader}, timeout=10)
        assert reader.cancelled()

        for task in closing:  # what closing the event loop does with every task left
            task.cancel()
        release.set()
        _done, still_running = await asyncio.wait(closing, timeout=10)
        assert not still_running, f"tasks that outlived their cancellation: {still_running}"
    finally:
        release.set()
        await database.close()


async def test_a_write_cancelled_at_shutdown_leaves_the_file_unlocked_for_the_next_start(
    tmp_path: Path,
) -> None:
    """A write that awaits inside its transaction holds SQLite's write lock; cancelled there
    (twice, as `stop_task` insists), it must roll back at once. The next instance to start on
    the file would otherwise wait out its busy timeout and fail its migration with "database
    is locked"."""
    path = tmp_path / "service.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    inside = asyncio.Event()
    writer = asyncio.create_task(_write_awaiting_inside(database, inside))
    try:
        await asyncio.wait_for(inside.wait(), timeout=10)
        writer.cancel()
        await asyncio.sleep(0)
        writer.cancel()
        await asyncio.wait({writer}, timeout=10)
        assert writer.cancelled()

        # Before this instance closes its database: the lock must already be free.
        next_start = sqlite3.connect(path, timeout=1, isolation_level=None)
        try:
            next_start.execute("BEGIN IMMEDIATE")  # raises "database is locked" if still held
            next_start.execute("ROLLBACK")
        finally:
            next_start.close()
    finally:
        await database.close()


async def _read_held_in_sqlite(
    database: Database, busy: threading.Event, release: threading.Event
) -> None:
    """A snapshot whose statement keeps SQLite's worker thread until `release`."""

    def hold_the_worker_thread() -> int:
        busy.set()
        release.wait(timeout=30)
        return 1

    async with database.snapshot() as connection:
        raw = await connection.get_raw_connection()
        await raw.driver_connection.create_function("hold", 0, hold_the_worker_thread)  # type: ignore[union-attr]
        await connection.execute(text("SELECT hold()"))


async def _write_awaiting_inside(database: Database, inside: asyncio.Event) -> None:
    """A write transaction that holds the lock while it awaits something that never comes."""
    async with database.transaction() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS held (n INTEGER)"))
        inside.set()
        await asyncio.Event().wait()


def _returns(check: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A synchronous condition, in the shape `eventually` polls."""

    async def checked() -> T:
        return check()

    return checked
