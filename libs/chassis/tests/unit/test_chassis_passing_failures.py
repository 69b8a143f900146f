"""Which database failures pass with the moment (`database.is_passing`): the ones a consumer
tries again without spending deliveries and a route answers with 503 rather than 500."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError

from bazaar_chassis.database import is_passing


class PostgresError(Exception):
    """What asyncpg's errors carry through SQLAlchemy's adapter: the SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def raised_by_the_driver(orig: Exception, *, connection_invalidated: bool = False) -> DBAPIError:
    return DBAPIError(
        "UPDATE t SET v = 1", None, orig, connection_invalidated=connection_invalidated
    )


@pytest.mark.parametrize(
    ("failure", "passing"),
    [
        (raised_by_the_driver(PostgresError("40P01")), True),  # deadlock detected
        (raised_by_the_driver(PostgresError("40001")), True),  # serialization failure
        (raised_by_the_driver(PostgresError("08006")), True),  # connection failure
        (raised_by_the_driver(PostgresError("57P01")), True),  # admin shutdown
        (raised_by_the_driver(PostgresError("57P03")), True),  # cannot connect now (starting)
        (raised_by_the_driver(PostgresError("23505")), False),  # unique violation: the work's
        (raised_by_the_driver(PostgresError("42P01")), False),  # undefined table: a bug
        (raised_by_the_driver(Exception("closed"), connection_invalidated=True), True),
        (raised_by_the_driver(sqlite3.OperationalError("database is locked")), True),
        (raised_by_the_driver(sqlite3.OperationalError("no such table: t")), False),
        (raised_by_the_driver(sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (ValueError("a handler's own mistake"), False),
        (KeyError("sku"), False),
        (FileNotFoundError(2, "No such file or directory"), False),  # raised by our own code
    ],
)
def test_only_contention_and_an_unreachable_database_are_passing_failures(
    failure: BaseException, passing: bool
) -> None:
    assert is_passing(failure) is passing
