"""Quick reads: the catalog's reads run on the event loop's own thread, on SQLite.

Through aiosqlite every statement of a read (BEGIN, SELECT, ROLLBACK) is a hop to its worker
thread: ~1.2 ms of CPU for the catalog's page against ~0.2 ms here (docs/benchmarks.md P1b).
These connections are synchronous and read-only (`query_only`), still one transaction per block,
as the chassis's SQLite writes are (`bazaar_chassis.sqlite_on_loop`);
a WAL reader does not wait for writers, so the loop is held only for the query itself. The
catalog can: its stores only read, and every page is a read of its local copy. On PostgreSQL its
reads stay the chassis's snapshots.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import LoopConnection, Reads, Runtime

BUSY_TIMEOUT_MS = 15_000  # as the chassis's own SQLite connections


def _read_only(connection: Any) -> None:
    connection.isolation_level = None  # BEGIN is issued explicitly, see below
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA query_only=ON")


class QuickReads:
    """Makes the instance's `Reads` quick on SQLite, and its `read_value` (the kept answers'
    generation, read on every hot request) one bare `sqlite3` call; its connections close with
    the instance."""

    def __init__(self, runtime: Runtime, store: Callable[[AsyncConnection], Any]) -> None:
        url = make_url(runtime.database.url)
        self._file = url.database or ":memory:"
        self._engine: Engine | None = None
        if url.get_backend_name() == "sqlite":
            # never block on checkout (unbounded overflow): the caller is the event loop
            self._engine = create_engine(
                url.set(drivername="sqlite+pysqlite"), pool_size=4, max_overflow=-1
            )
            event.listen(self._engine, "connect", lambda connection, _: _read_only(connection))
            event.listen(self._engine, "begin", lambda c: c.exec_driver_sql("BEGIN"))
            runtime.reads = self._reads(self._engine, store)
            runtime.read_value = self.scalar
        self._plain = threading.local()  # per thread: a bare sqlite3 connection
        self._plain_connections: list[sqlite3.Connection] = []
        runtime.on_close(self.close)

    @staticmethod
    def _reads(engine: Engine, store: Callable[[AsyncConnection], Any]) -> Reads[Any]:
        """`Reads` that give `store` a quick snapshot: it may use only `execute`, `scalar` and
        `scalars`, which is all the catalog's store does."""

        @asynccontextmanager
        async def open_quick_snapshot() -> AsyncIterator[Any]:
            with engine.connect() as connection:
                yield store(cast(AsyncConnection, LoopConnection(connection)))

        return open_quick_snapshot

    async def scalar(self, sql: str) -> Any:
        """The first column of the first row of one read-only statement, on its own (autocommit:
        it sees every committed transaction): a bare `sqlite3` call on this thread (~10 µs,
        against ~250 µs through SQLAlchemy's pool and events). Used on SQLite only."""
        plain: sqlite3.Connection | None = getattr(self._plain, "connection", None)
        if plain is None:
            # Used on this thread only (thread-local); not checked so that close() can close it.
            plain = sqlite3.connect(self._file, check_same_thread=False)
            _read_only(plain)
            self._plain.connection = plain
            self._plain_connections.append(plain)
        row = plain.execute(sql).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        for plain in self._plain_connections:
            plain.close()
        self._plain_connections.clear()
        self._plain = threading.local()
        if self._engine is not None:
            self._engine.dispose()
