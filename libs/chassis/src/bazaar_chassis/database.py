"""A service's own database: async SQLAlchemy engines with the right settings per dialect.

SQLite (the embedded default) gets WAL and `BEGIN IMMEDIATE` for writes, so that several
instances or versions of one service can share its file without "database is locked" surprises;
its writes run on the event loop's thread (`sqlite_on_loop`), its reads on aiosqlite connections
of their own that see a consistent snapshot and never hold the loop. PostgreSQL gets one pooled
engine. Either way, callers only see `transaction()` (write) and `snapshot()` (read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bazaar_chassis import sqlite_connections
from bazaar_chassis.migrations import upgrade_to_heads
from bazaar_chassis.sqlite_on_loop import LoopWriter, is_locked

SQLITE_BUSY_TIMEOUT_MS = 15_000
READ_AT_ONCE_BUSY_TIMEOUT_MS = 100  # how long `read_at_once` may hold the loop on a locked file


def dialect_insert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT for the connection's dialect, with `on_conflict_do_update/nothing` (upserts)."""
    return insert_for(connection.dialect.name, table)


def insert_for(dialect: str, table: Table) -> Any:
    """`dialect_insert` by the dialect's name: for a statement built once per dialect."""
    return sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)


# PostgreSQL's codes for "try again": serialization failure, deadlock, a connection lost (08…),
# the server shutting down or starting (57P01-57P03).
_PASSING_SQLSTATES = ("40001", "40P01", "08", "57P01", "57P02", "57P03")


def is_passing(failure: BaseException) -> bool:
    """True if `failure` says nothing about the work, only about the moment: a deadlock or
    serialization conflict with another transaction, SQLite's lock held too long, or the
    database unreachable. The same work succeeds when tried again."""
    if isinstance(failure, DBAPIError):
        code = getattr(failure.orig, "sqlstate", None) or ""
        return (
            failure.connection_invalidated
            or code.startswith(_PASSING_SQLSTATES)
            or is_locked(failure.orig)
        )
    # The driver raises these unwrapped while connecting (refused, no socket file, unreachable);
    # the same error from a route's own code is a bug, and keeps its 500 and traceback.
    return isinstance(failure, OSError) and _raised_in(failure, _DRIVERS)


_DRIVERS = ("asyncpg", "aiosqlite", "sqlalchemy")


def _raised_in(failure: BaseException, packages: tuple[str, ...]) -> bool:
    """True if any frame between the catch and the raise runs code of `packages`."""
    frame = failure.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(packages):
            return True
        frame = frame.tb_next
    return False


def _sqlite_reader(url: str, *, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        async_creator=sqlite_connections.connector(make_url(url)),
    )

    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLite connection's settings, the loop's writer's included (it then drops the busy
    timeout). The timeout comes first: turning WAL on for a new file takes the lock a moment."""
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see below
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The engines of one service's database and the two ways to use them."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._file = parsed.database if self.dialect == "sqlite" else None
        self._at_once: sqlite3.Connection | None = None
        self._loop_writer: LoopWriter | None = None
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # One writer connection per process: writes take turns instead of spinning on
            # SQLite's file lock; BEGIN IMMEDIATE takes the lock up front across processes.
            self._loop_writer = LoopWriter(
                url, prepare=_on_sqlite_connect, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
            )
            self._reader = _sqlite_reader(url, pool_size=4)
        elif self.dialect == "postgresql":
            self._writer = create_async_engine(url, pool_size=10, max_overflow=10)
            self._reader = self._writer
        else:
            raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        if self._loop_writer is not None:
            async with self._loop_writer.transaction() as connection:
                yield connection
        else:
            async with self._writer.begin() as connection:
                yield connection

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only view that stays consistent for the whole block."""
        async with self._reader.connect() as connection:
            yield connection

    def read_at_once(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]] | None:
        """The rows of one read-only statement, read right here on SQLite; None on PostgreSQL,
        whose reads go through `snapshot()`.

        A WAL reader does not wait for writers, so this holds the event loop only for the query,
        and skips the five hand-offs to aiosqlite's thread a snapshot costs: the outbox relay
        reads after every commit (bench/notes/P3.md, tenth pass)."""
        if self._file is None:
            return None
        if self._at_once is None:
            self._at_once = sqlite3.connect(self._file, check_same_thread=False)
            self._at_once.execute(f"PRAGMA busy_timeout={READ_AT_ONCE_BUSY_TIMEOUT_MS}")
            self._at_once.execute("PRAGMA query_only=ON")
        return self._at_once.execute(sql, parameters).fetchall()

    async def migrate(self, version_locations: list[Path]) -> None:
        """Bring the schema to the newest revision of every migration branch, once per DB."""
        async with self.transaction() as connection:
            if self.dialect == "postgresql":
                # Serialise concurrent starts of several instances on the same database.
                await connection.execute(text("SELECT pg_advisory_xact_lock(727272)"))
            await connection.run_sync(upgrade_to_heads, version_locations)

    async def scalar(self, sql: str) -> Any:
        """The first column of the first row of one read-only statement, on a snapshot."""
        async with self.snapshot() as connection:
            return await connection.scalar(text(sql))

    async def ping(self) -> bool:
        try:
            async with self._reader.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self._at_once is not None:
            self._at_once.close()
        if self._loop_writer is not None:
            self._loop_writer.close()
        await self._reader.dispose()
