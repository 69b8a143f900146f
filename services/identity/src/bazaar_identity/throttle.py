"""Guessing passwords gets slower and slower: per-account and per-address back-off, in the DB.

Each password attempt is charged to its account (the email) and to the client's address before
the password is hashed. After `free_failures` charged attempts in a row, the key is blocked for
`first_delay` seconds, doubling with each further attempt up to `max_delay`; an attempt on a
blocked key is refused with 429 and Retry-After, and costs no argon2 hash. A correct password
clears its account's count and takes back its own charge on the address (so the address counts
failures only, and one good login cannot launder a guessing address). Counts are forgotten
after `forgive_after` quiet seconds. The state is a table in
identity's own database, so it survives restarts and is shared by every identity instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UtcDateTime
from bazaar_chassis.database import dialect_insert
from bazaar_chassis.errors import DomainError
from bazaar_identity.store import metadata

CLAIM_TRIES = 5

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(320), primary_key=True),  # account:<email> | address:<ip>
    Column("failures", Integer, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many sign-in attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            f"too many failed sign-in attempts for this account or address; retry in {seconds}s",
            headers={"Retry-After": str(seconds)},
        )


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int
    first_delay: float = 1.0
    max_delay: float = 900.0
    forgive_after: float = 3600.0

    def delay(self, failures: int) -> float:
        """Seconds a key stays blocked after its `failures`-th failure in a row (0: none)."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** (failures - self.free_failures))


ACCOUNT_POLICY = ThrottlePolicy(free_failures=5)
ADDRESS_POLICY = ThrottlePolicy(free_failures=20)


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str) -> str:
    return f"address:{address}"


def keys(*, email: str | None, address: str | None) -> list[tuple[str, ThrottlePolicy]]:
    """The keys one password attempt is charged to, with their policies."""
    found = []
    if email:
        found.append((account_key(email), ACCOUNT_POLICY))
    if address:
        found.append((address_key(address), ADDRESS_POLICY))
    return found


async def charge(
    connection: AsyncConnection, key: str, policy: ThrottlePolicy, *, now: datetime
) -> None:
    """Count one more attempt on `key`, or raise TooManyAttempts (and count nothing) if the key
    is blocked. Compare-and-set, so parallel attempts cannot slip past a block together."""
    for _ in range(CLAIM_TRIES):
        row = (
            await connection.execute(select(login_throttle).where(login_throttle.c.key == key))
        ).first()
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            raise TooManyAttempts((row.blocked_until - now).total_seconds())
        fresh = row is None or (now - row.updated_at).total_seconds() > policy.forgive_after
        failures = 1 if row is None or fresh else row.failures + 1
        wait = policy.delay(failures)
        values = {
            "failures": failures,
            "blocked_until": now + timedelta(seconds=wait) if wait else None,
            "updated_at": now,
        }
        if row is None:
            inserted = await connection.execute(
                dialect_insert(connection, login_throttle)
                .values(key=key, **values)
                .on_conflict_do_nothing()
            )
            if inserted.rowcount == 1:
                return
            continue  # another attempt created the row first: read it and try again
        claimed = await connection.execute(
            update(login_throttle)
            .where(login_throttle.c.key == key, login_throttle.c.updated_at == row.updated_at)
            .where(login_throttle.c.failures == row.failures)
            .values(**values)
        )
        if claimed.rowcount == 1:
            return
    raise TooManyAttempts(policy.first_delay)  # a crowd of attempts on one key: slow down


async def clear(connection: AsyncConnection, key: str) -> None:
    await connection.execute(login_throttle.delete().where(login_throttle.c.key == key))


async def refund(connection: AsyncConnection, key: str, policy: ThrottlePolicy) -> None:
    """Take back the charge of an attempt that succeeded, so an address's count is of failures
    only (many people behind one address sign in without slowing each other down); a block
    lifts only if that brings the count below the free attempts."""
    row = login_throttle.c
    await connection.execute(
        update(login_throttle)
        .where(row.key == key, row.failures > 0)
        .values(failures=row.failures - 1)
    )
    await connection.execute(
        update(login_throttle)
        .where(row.key == key, row.failures < policy.free_failures)
        .values(blocked_until=None)
    )


async def forget_quiet(connection: AsyncConnection, *, now: datetime) -> int:
    """Delete the rows of keys that are not blocked and have been quiet long enough."""
    quiet_since = now - timedelta(
        seconds=max(ACCOUNT_POLICY.forgive_after, ADDRESS_POLICY.forgive_after)
    )
    result = await connection.execute(
        login_throttle.delete().where(
            login_throttle.c.updated_at < quiet_since,
            (login_throttle.c.blocked_until.is_(None)) | (login_throttle.c.blocked_until < now),
        )
    )
    return int(result.rowcount or 0)
