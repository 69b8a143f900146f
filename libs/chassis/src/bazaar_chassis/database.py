"""A service's own database: async SQLAlchemy engines with the right settings per dialect.

SQLite (the embedded default) gets WAL, a busy timeout and `BEGIN IMMEDIATE` for writes, so that
several instances or versions of one service can share its file without "database is locked"
surprises; reads run on separate connections and see a consistent snapshot. PostgreSQL gets one
pooled engine. Either way, callers only see `transaction()` (write) and `snapshot()` (read).

`quick_snapshot()` is the read path for hot reads (opt-in, `ServiceDefinition.quick_reads`): on
SQLite it runs the statements on the calling thread over a synchronous connection, instead of a
hop to aiosqlite's worker thread per statement (BEGIN, SELECT, ROLLBACK: ~1.2 ms of CPU for the
catalog's page against ~0.2 ms; docs/benchmarks.md P1b). A WAL reader does not wait for writers,
so the event loop is held only for the query itself. `quick_scalar()` is cheaper still, for one
tiny autocommit read per request (a read model's generation, see `bazaar_chassis.kept_answers`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Result, ScalarResult, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

from bazaar_chassis.migrations import upgrade_to_heads

SQLITE_BUSY_TIMEOUT_MS = 15_000


def dialect_insert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT for the connection's dialect, with `on_conflict_do_update/nothing` (upserts)."""
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


def _sqlite_engine(url: str, *, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=False)

    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _quick_sqlite_engine(url: str) -> Engine:
    """Synchronous read connections, used on the event loop's thread: never block on checkout
    (unbounded overflow), and read only."""
    engine = create_engine(
        make_url(url).set(drivername="sqlite+pysqlite"),
        pool_size=4,
        max_overflow=-1,
        pool_pre_ping=False,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        _on_sqlite_connect(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA query_only=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")  # one snapshot for the whole block

    return engine


class QuickSnapshot:
    """The read calls of `AsyncConnection` (execute, scalar, scalars) on a synchronous
    connection: awaiting them runs the statement right away, on this thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self._connection.scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return self._connection.scalars(statement, parameters)


class Database:
    """The engines of one service's database and the two ways to use them."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # One writer connection per process: writes queue in the pool instead of spinning
            # on SQLite's file lock; BEGIN IMMEDIATE takes the lock up front across processes.
            self._writer = _sqlite_engine(url, begin="BEGIN IMMEDIATE", pool_size=1)
            self._reader = _sqlite_engine(url, begin="BEGIN", pool_size=4)
            self._quick: Engine | None = _quick_sqlite_engine(url)
            self._file = parsed.database or ":memory:"
        elif self.dialect == "postgresql":
            self._writer = create_async_engine(url, pool_size=10, max_overflow=10)
            self._reader = self._writer
            self._quick = None
            self._file = ""
        else:
            raise ValueError(f"unsupported database URL {parsed.render_as_string()!r}")
        self._plain = threading.local()  # per thread: a bare sqlite3 connection
        self._plain_connections: list[sqlite3.Connection] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        async with self._writer.begin() as connection:
            yield connection

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only view that stays consistent for the whole block."""
        async with self._reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def quick_snapshot(self) -> AsyncIterator[QuickSnapshot | AsyncConnection]:
        """`snapshot()` for hot reads: on SQLite, statements run on this thread (see above)."""
        if self._quick is None:
            async with self.snapshot() as connection:
                yield connection
            return
        with self._quick.connect() as connection:
            yield QuickSnapshot(connection)

    async def quick_scalar(self, sql: str) -> Any:
        """The first column of the first row of one read-only statement, on its own (autocommit:
        it sees every committed transaction). On SQLite, a bare `sqlite3` call on this thread
        (~10 µs, against ~250 µs through SQLAlchemy's pool and events); else a snapshot."""
        if self._quick is None:
            async with self.snapshot() as connection:
                return await connection.scalar(text(sql))
        plain: sqlite3.Connection | None = getattr(self._plain, "connection", None)
        if plain is None:
            # Used on this thread only (thread-local); not checked so that close() can close it.
            plain = sqlite3.connect(self._file, isolation_level=None, check_same_thread=False)
            _on_sqlite_connect(plain, None)
            plain.execute("PRAGMA query_only=ON")
            self._plain.connection = plain
            self._plain_connections.append(plain)
        row = plain.execute(sql).fetchone()
        return row[0] if row else None

    async def migrate(self, version_locations: list[Path]) -> None:
        """Bring the schema to the newest revision of every migration branch, once per DB."""
        async with self._writer.begin() as connection:
            if self.dialect == "postgresql":
                # Serialise concurrent starts of several instances on the same database.
                await connection.execute(text("SELECT pg_advisory_xact_lock(727272)"))
            await connection.run_sync(upgrade_to_heads, version_locations)

    async def ping(self) -> bool:
        try:
            async with self._reader.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        for plain in self._plain_connections:
            plain.close()
        self._plain_connections.clear()
        self._plain = threading.local()
        if self._quick is not None:
            self._quick.dispose()
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()
