"""The expiry job: gives back the units of reservations nobody released before their deadline.

It runs in every instance (a `ServiceDefinition.background` job). Instances need no
coordination: each finds the due reservations and tries to expire them one by one, and the
conditional settle in `use_cases.expire` lets exactly one of them win each reservation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from bazaar_chassis import Runtime, repeat
from bazaar_inventory import use_cases

EXPIRY_INTERVAL_SECONDS = 0.5
BATCH_SIZE = 200

_log = structlog.get_logger("bazaar.inventory.expiry")


async def expire_reservations(runtime: Runtime) -> None:
    """Background job: every EXPIRY_INTERVAL_SECONDS, expire what is due (until cancelled)."""

    async def round_() -> None:
        expired = await use_cases.expire_due(
            units=runtime.units, reads=runtime.reads, now=datetime.now(UTC), limit=BATCH_SIZE
        )
        if expired:
            _log.info("reservations expired", count=expired)

    await repeat(round_, every=EXPIRY_INTERVAL_SECONDS, name="expire-reservations")
