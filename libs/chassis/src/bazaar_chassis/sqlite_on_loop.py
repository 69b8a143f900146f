"""SQLite write transactions on the event loop's own thread: a statement runs where it is awaited.

Through aiosqlite every statement is a hand-off to the connection's worker thread (~110 µs of
CPU on this VM, and SQLAlchemy's async path makes several per statement): a transaction of one
INSERT cost ~2 ms of CPU, against ~0.15 ms here (bench/notes/P3.md, "What a transaction
costs"). A service's statements on its own small database take microseconds, so holding the
loop for them costs less than handing them off.

The loop never waits on SQLite's lock: the connection has no busy timeout, and a `BEGIN
IMMEDIATE` that finds another writer (another instance, a migration) is retried after an
`asyncio.sleep`, for at most the chassis's busy timeout. Once it holds the write lock nothing in
WAL mode makes it wait: readers do not block a writer. The process's transactions take turns on
one connection; one that awaits something else (a call to another service) keeps its turn, and
the lock, until it ends, as the single pooled writer did before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, Result, ScalarResult, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable

FIRST_RETRY_SECONDS = 0.001
LONGEST_RETRY_SECONDS = 0.05
T = TypeVar("T")


class LoopConnection:
    """The calls of `AsyncConnection` our stores make, on a synchronous connection: awaiting one
    runs the statement right away, on this thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.dialect = connection.dialect

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return self._connection.scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return self._connection.scalars(statement, parameters)

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Result[Any]:
        return self._connection.exec_driver_sql(statement, parameters)

    async def run_sync(self, function: Callable[..., T], *args: Any) -> T:
        return function(self._connection, *args)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._connection.begin_nested():
            yield


def is_locked(error: BaseException | None) -> bool:
    """SQLite's answer while another connection holds the write lock (SQLITE_BUSY)."""
    return "database is locked" in str(error)


def _no_busy_timeout(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA busy_timeout=0")  # a busy lock is waited for on the loop


class LoopWriter:
    """One SQLite file's write transactions, on the loop's thread; closed with `close()`."""

    def __init__(
        self, url: str, *, prepare: Callable[[Any, Any], None], busy_timeout_ms: int
    ) -> None:
        """`prepare(connection, record)` gives the connection the database's settings (WAL and
        the rest); `busy_timeout_ms` is how long a `BEGIN IMMEDIATE` is retried on the loop."""
        self._busy_timeout_ms = busy_timeout_ms
        self._engine: Engine = create_engine(
            make_url(url).set(drivername="sqlite+pysqlite"),
            poolclass=StaticPool,  # one connection; `_turn` keeps it to one transaction
            connect_args={"check_same_thread": False},
        )
        event.listen(self._engine, "connect", prepare)
        event.listen(self._engine, "connect", _no_busy_timeout)
        self._turn = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed if the block ends normally, rolled back if not."""
        async with self._turn:
            with self._engine.connect() as connection:
                await self._begin_immediate(connection)
                try:
                    yield cast(AsyncConnection, LoopConnection(connection))
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()

    async def _begin_immediate(self, connection: Connection) -> None:
        """Take SQLite's write lock, waiting on the loop (not in SQLite) while another holds it."""
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        pause = FIRST_RETRY_SECONDS
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                connection.rollback()  # ends SQLAlchemy's own view of the transaction it began
                if not is_locked(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_RETRY_SECONDS)

    def close(self) -> None:
        self._engine.dispose()
