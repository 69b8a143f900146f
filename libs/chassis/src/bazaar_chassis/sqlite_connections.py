"""The aiosqlite connections our SQLite engines open: stopped once, however often asked.

A task cancelled in the middle of a transaction makes SQLAlchemy close its connection in a task
of its own; cancelled again meanwhile (`stop_task` insists), it stops the connection's worker
thread at once (`stop()`) and leaves that close running. aiosqlite's `close()` ends by calling
`stop()` again and waiting for it, but the thread left at the first stop and never answers the
second: a close cancelled at its first wait (by the event loop closing) then waits forever, and
closing the loop hangs. Here a repeated `stop()` hands back the first one's future, which the
thread does answer.

The same cancelled read can outlive its close: the cancelled task's traceback still holds the
statement it was running, and SQLite closes a connection with a live statement only when the
statement is freed, keeping its transaction (and, in WAL mode, the snapshot no checkpoint may
pass) until then. So a connection rolls back whatever transaction it is in before it closes.
(Writes run on the loop's own connection, `sqlite_on_loop`, and roll back where cancelled.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL

ITER_CHUNK_SIZE = 64  # aiosqlite's default


class _RolledBackOnClose(sqlite3.Connection):
    def close(self) -> None:
        # Already closed, or the rollback failed: closing is all that is left to do.
        with contextlib.suppress(sqlite3.Error):
            if self.in_transaction:
                self.rollback()
        super().close()


class _StoppedOnce(aiosqlite.Connection):
    _stop_requested = False
    _stopped: asyncio.Future[Any] | None = None

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._stop_requested:
            self._stop_requested = True
            self._stopped = super().stop()
        return self._stopped


def connector(url: URL) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """An `async_creator` for `create_async_engine(url)`: connections to the database `url`
    names, opened with the arguments SQLAlchemy's aiosqlite dialect would have used."""
    args, kwargs = url.get_dialect()().create_connect_args(url)
    return partial(_connect, partial(sqlite3.connect, *args, **kwargs, factory=_RolledBackOnClose))


async def _connect(open_sqlite: Callable[[], sqlite3.Connection]) -> aiosqlite.Connection:
    connection = _StoppedOnce(open_sqlite, ITER_CHUNK_SIZE)
    # As SQLAlchemy does: a connection nobody closed must not keep the process from exiting.
    connection._thread.daemon = True
    return await connection
