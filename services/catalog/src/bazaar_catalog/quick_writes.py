"""Quick writes: on SQLite the catalog's consumer applies each batch on the event loop's own
thread, in one go.

Through aiosqlite a batch's transaction is ~15 hand-offs to the worker thread (BEGIN, the inbox
claim, each run's upsert, the generation, COMMIT; a cursor, an execute, a fetch and a close
each), and every hand-off waits its turn on the event loop behind the page renderings being
served: P3 measured p50 8.5 ms to apply a batch of two price events while the catalog was
polled, and waves of 50 events drained at ~3 ms each. Here the statements run right away on a
synchronous connection (~1 ms for such a batch), as the catalog's reads already do
(`quick_reads.py`).

The loop never waits on SQLite's lock: the connection has no busy timeout, and a `BEGIN
IMMEDIATE` that finds another writer (another instance, the chassis's own writer connection)
is retried after an `asyncio.sleep`, for at most the chassis's busy timeout (15 s). Once it
holds the write lock nothing in WAL mode makes it wait: readers do not block a writer.
Transactions of this process take turns on one connection, as on the chassis's single writer.
On PostgreSQL the consumer keeps the chassis's transactions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import StaticPool

from bazaar_catalog.quick_reads import BUSY_TIMEOUT_MS, QuickConnection
from bazaar_chassis import Runtime

FIRST_RETRY_SECONDS = 0.001
LONGEST_RETRY_SECONDS = 0.05


def _writer(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # BEGIN IMMEDIATE is issued explicitly, see below
    connection.execute("PRAGMA busy_timeout=0")  # a busy lock is retried on the loop, never here
    connection.execute("PRAGMA synchronous=NORMAL")  # per connection, as the chassis sets it
    connection.execute("PRAGMA foreign_keys=ON")


class QuickWrites:
    """Makes the instance's units of work open their transactions on the loop's thread, on
    SQLite; the connection closes with the instance."""

    def __init__(self, runtime: Runtime) -> None:
        url = make_url(runtime.database.url)
        self._engine: Engine | None = None
        self._turn = asyncio.Lock()
        if url.get_backend_name() == "sqlite":
            self._engine = create_engine(
                url.set(drivername="sqlite+pysqlite"),
                poolclass=StaticPool,  # one connection; `_turn` keeps it to one transaction
                connect_args={"check_same_thread": False},
            )
            event.listen(self._engine, "connect", _writer)
            runtime.unit_of_work.open_transactions_with(self.transaction)
            runtime.on_close(self.close)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed if the block ends normally, rolled back if not."""
        assert self._engine is not None
        async with self._turn:
            with self._engine.connect() as connection:
                await _begin_immediate(connection)
                try:
                    yield cast(AsyncConnection, QuickConnection(connection))
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


async def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock, waiting on the loop (not in SQLite) while another holds it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = FIRST_RETRY_SECONDS
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            connection.rollback()  # ends SQLAlchemy's own view of the transaction it began
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_RETRY_SECONDS)
