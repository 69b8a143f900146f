"""Reading the registry: who is running, by entries whose heartbeat is recent.

Services only write their own entry (`bazaar_chassis.registry`); the gateway follows them all and
the console reads them once.
"""

from __future__ import annotations

import contextlib
import time
from datetime import date

import orjson
from nats.js.errors import KeyNotFoundError, NoKeysError, NotFoundError

from bazaar_chassis.bus import Bus
from bazaar_chassis.registry import Deprecation, Instance, services_bucket

STALE_AFTER_SECONDS = 6.0


def read_entry(payload: bytes) -> Instance:
    """An entry, ignoring fields a newer release added (an older gateway still routes)."""
    entry = orjson.loads(payload)
    known = Instance.__dataclass_fields__
    return Instance(**{name: value for name, value in entry.items() if name in known})


def is_alive(instance: Instance, now: float | None = None) -> bool:
    return (now or time.time()) - instance.heartbeat_at < STALE_AFTER_SECONDS


def deprecation_of(instance: Instance, major: int) -> Deprecation | None:
    entry = instance.deprecations.get(str(major))
    if not entry:
        return None
    return Deprecation(
        since=date.fromisoformat(entry["since"]), sunset=date.fromisoformat(entry["sunset"])
    )


async def live_instances(bus: Bus) -> list[Instance]:
    """Every instance whose heartbeat is recent, read once from the bucket."""
    bucket = await services_bucket(bus)
    try:
        keys = await bucket.keys()
    except (NotFoundError, NoKeysError):
        return []
    instances = []
    for key in keys:
        with contextlib.suppress(KeyNotFoundError):
            entry = await bucket.get(key)
            if entry.value:
                instance = read_entry(entry.value)
                if is_alive(instance):
                    instances.append(instance)
    return instances
