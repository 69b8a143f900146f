"""Service discovery: each instance announces itself in the NATS KV bucket `services`.

The entry says what the instance is (name, implementation version, API majors, URL, OpenAPI URL,
events published and consumed) and is re-put every heartbeat. Readers (the gateway, the console:
`bazaar_platform.instances`) treat an entry without a recent heartbeat as gone; the bucket's max
age removes it for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass, field
from datetime import date

import orjson
import structlog
from nats.js.kv import KeyValue

from bazaar_chassis.bus import Bus, open_bucket
from bazaar_chassis.jobs import raise_if_cancelled, stop_task

BUCKET = "services"

_log = structlog.get_logger("bazaar.registry")


@dataclass(frozen=True, slots=True)
class Deprecation:
    """A deprecated API major: deprecated since `since`, may be gone after `sunset` (both UTC
    dates); the gateway turns it into `Deprecation` and `Sunset` headers (RFC 9745, RFC 8594)."""

    since: date
    sunset: date

    def __post_init__(self) -> None:
        if self.sunset <= self.since:
            raise ValueError(f"a sunset ({self.sunset}) comes after the deprecation ({self.since})")

    def to_entry(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "sunset": self.sunset.isoformat()}


@dataclass(frozen=True, slots=True)
class Instance:
    """What the registry knows about one running instance of one service version."""

    service: str
    version: str
    instance_id: str
    url: str
    majors: list[int]
    default_major: int
    openapi_url: str
    publishes: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    deprecated_majors: list[int] = field(default_factory=list)
    deprecations: dict[str, dict[str, str]] = field(default_factory=dict)  # major → Deprecation
    weight: int = 100  # this instance's share of its major's traffic, relative to its peers'
    started_at: float = field(default_factory=time.time)
    heartbeat_at: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return f"{self.service}.{self.instance_id}"

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))


async def services_bucket(bus: Bus) -> KeyValue:
    """Open the registry bucket (the operator provisions it; nobody else may create it)."""
    return await open_bucket(bus.js, BUCKET)


class Registration:
    """Keeps this instance's entry fresh while the process runs."""

    def __init__(self, *, bus: Bus, instance: Instance, heartbeat_seconds: float) -> None:
        self._bus = bus
        self._instance = instance
        self._heartbeat = heartbeat_seconds
        self._task: asyncio.Task[None] | None = None
        self._bus_ready = asyncio.Event()

    async def start(self) -> None:
        self._bus.on_ready(self._bus_ready.set)
        self._task = asyncio.create_task(self._beat(), name="registry-heartbeat")

    async def _beat(self) -> None:
        """Beat every heartbeat, and at once whenever the bus becomes ready: the first beat
        (from then on the gateway routes to this instance) waits for no heartbeat to pass."""
        while True:
            if self._bus.connected:
                try:
                    bucket = await services_bucket(self._bus)
                    entry = Instance(**{**asdict(self._instance), "heartbeat_at": time.time()})
                    await bucket.put(entry.key, entry.to_json())
                except Exception as exc:
                    raise_if_cancelled()
                    _log.debug("heartbeat failed", error=str(exc))
            self._bus_ready.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._heartbeat):
                    await self._bus_ready.wait()

    def halt(self) -> None:
        """Stop heart-beating without deregistering, as a crashed process would."""
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        await stop_task(self._task)
        if self._bus.connected:
            with contextlib.suppress(Exception):
                bucket = await services_bucket(self._bus)
                await bucket.delete(self._instance.key)
