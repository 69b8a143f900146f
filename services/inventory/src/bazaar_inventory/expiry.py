"""The expiry job: gives back the units of reservations nobody released before their deadline.

It runs in every instance (a `ServiceDefinition.background` job). Instances need no
coordination: each finds the due reservations and tries to expire them one by one, and the
conditional settle in `commands.expire` lets exactly one of them win each reservation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from bazaar_chassis import Runtime
from bazaar_chassis.jobs import repeat
from bazaar_inventory import commands, store

EXPIRY_INTERVAL_SECONDS = 0.5
BATCH_SIZE = 200

_log = structlog.get_logger("bazaar.inventory.expiry")


async def expire_due(runtime: Runtime, *, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Expire up to `limit` reservations due at `now`; returns how many this instance expired."""
    async with runtime.database.snapshot() as connection:
        due = await store.due_reservations(connection, now=now, limit=limit)
    expired = 0
    for reservation_id in due:
        if await commands.expire(runtime, reservation_id, now=now):
            expired += 1
    return expired


async def expire_reservations(runtime: Runtime) -> None:
    """Background job: every EXPIRY_INTERVAL_SECONDS, expire what is due (until cancelled)."""

    async def round_() -> None:
        expired = await expire_due(runtime, now=datetime.now(UTC))
        if expired:
            _log.info("reservations expired", count=expired)

    await repeat(round_, every=EXPIRY_INTERVAL_SECONDS, name="expire-reservations")
