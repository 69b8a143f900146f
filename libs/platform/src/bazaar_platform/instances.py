"""Who is running: every instance whose registry heartbeat is recent, read once.

Services only write their own entry (`bazaar_chassis.registry`); the console reads them all.
"""

from __future__ import annotations

import contextlib

from nats.js.errors import KeyNotFoundError, NoKeysError, NotFoundError

from bazaar_chassis.bus import Bus
from bazaar_chassis.registry import Instance, services_bucket


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
                instance = Instance.from_json(entry.value)
                if instance.is_alive():
                    instances.append(instance)
    return instances
