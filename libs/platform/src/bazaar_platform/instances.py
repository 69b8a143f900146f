"""Reading the registry: who is running, by entries whose heartbeat is recent.

Services only write their own entry (`bazaar_chassis.registry`); the gateway follows them all and
the console reads them once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date

import orjson
from nats.js.kv import KeyValue

from bazaar_chassis.bus import Bus
from bazaar_chassis.errors import Unavailable
from bazaar_chassis.registry import Deprecation, Instance, services_bucket

STALE_AFTER_SECONDS = 6.0
READ_SECONDS = 5.0  # a registry read that takes longer is a 503, not a hang


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
    if not (await bucket.status()).values:
        return []
    watcher = await bucket.watchall()  # the newest message of every key, values included
    try:
        async with asyncio.timeout(READ_SECONDS):
            entries = await newest_entries(watcher)
    except TimeoutError:
        raise Unavailable("the registry did not answer in time; try again") from None
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]
    now, instances = time.time(), []
    for entry in entries:
        if entry.operation is None and entry.value:  # not a deletion
            with contextlib.suppress(TypeError, ValueError):  # a malformed entry is nobody
                instance = read_entry(entry.value)
                if is_alive(instance, now):
                    instances.append(instance)
    return instances


async def newest_entries(updates: AsyncIterator[KeyValue.Entry | None]) -> list[KeyValue.Entry]:
    """A watch's first pass over a non-empty bucket: entries until the one that left nothing
    pending (`delta == 0`). nats-py's "no more" marker (`None`) is not trusted: it can come
    before every entry, when the server has sent them all before the client counted any (that
    made `keys()` answer an empty registry under load)."""
    entries: list[KeyValue.Entry] = []
    async for entry in updates:
        if entry is None:
            continue
        entries.append(entry)
        if entry.delta == 0:
            break
    return entries
