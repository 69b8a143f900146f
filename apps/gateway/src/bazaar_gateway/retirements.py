"""Retired majors: kept in the gateway's KV bucket (key `retired-majors`), watched by every gateway
instance, so `bazaar retire pricing 1` drains `/pricing/1/` everywhere at once, without a restart.

A retired major is not routed any more: its path answers 404 naming the live majors, and the
service's default route moves on to the next live major up. Instances may still serve it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson
import structlog
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from bazaar_chassis.bus import Bus, open_bucket
from bazaar_chassis.errors import Conflict, Unavailable
from bazaar_chassis.jobs import stop_task
from bazaar_platform.provisioning import POLICY_BUCKET

KEY = "retired-majors"

_log = structlog.get_logger("bazaar.gateway.retirements")


@dataclass(frozen=True, slots=True)
class Retirement:
    service: str
    major: int
    retired_at: float
    by: str


class RetiredMajors:
    def __init__(self) -> None:
        self.items: list[Retirement] = []
        self._keys: frozenset[tuple[str, int]] = frozenset()  # (service, major) of the items
        self._bus: Bus | None = None
        self._watch: asyncio.Task[None] | None = None

    def is_retired(self, service: str, major: int) -> bool:
        return (service, major) in self._keys

    def routable(self, service: str, majors: list[int]) -> list[int]:
        """`majors` of `service` without the retired ones."""
        return [m for m in majors if (service, m) not in self._keys]

    async def _bucket(self, bus: Bus) -> KeyValue:
        return await open_bucket(bus.js, POLICY_BUCKET)

    async def on_connect(self, bus: Bus) -> None:
        """Load and watch; after every (re)connection."""
        self._bus = bus
        bucket = await self._bucket(bus)
        with contextlib.suppress(KeyNotFoundError):
            self._apply((await bucket.get(KEY)).value)
        await stop_task(self._watch)
        watcher = await bucket.watch(KEY)
        self._watch = asyncio.create_task(self._follow(watcher), name="retirements-watch")

    async def _follow(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is None:
                continue
            deleted = entry.operation in (KV_DEL, KV_PURGE) or not entry.value
            self._apply(None if deleted else entry.value)

    def _apply(self, value: bytes | None) -> None:
        items = orjson.loads(value)["items"] if value else []
        self.items = [Retirement(**item) for item in items]
        self._keys = frozenset((r.service, r.major) for r in self.items)
        _log.info("retired majors", majors=[f"{r.service}/{r.major}" for r in self.items])

    async def retire(self, service: str, major: int, *, by: str) -> Retirement:
        """Add `service` `major` for every gateway instance (idempotent)."""
        if self._bus is None or not self._bus.connected:
            raise Unavailable("the gateway's store (NATS) is not reachable right now")
        bucket = await self._bucket(self._bus)
        try:
            current = await bucket.get(KEY)
            revision: int | None = current.revision
            items = orjson.loads(current.value)["items"] if current.value else []
        except KeyNotFoundError:
            items, revision = [], None
        known = [Retirement(**i) for i in items]
        found = next((r for r in known if r.service == service and r.major == major), None)
        if found is not None:
            return found
        retirement = Retirement(service=service, major=major, retired_at=time.time(), by=by)
        value = orjson.dumps({"items": [asdict(r) for r in [*known, retirement]]})
        try:
            if revision is None:
                await bucket.create(KEY, value)
            else:
                await bucket.update(KEY, value, last=revision)
        except KeyWrongLastSequenceError as exc:
            raise Conflict("the retired majors changed meanwhile; retry") from exc
        self._apply(value)
        return retirement

    async def stop(self) -> None:
        await stop_task(self._watch)
