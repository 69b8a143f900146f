"""Which instances of which service versions are alive right now, learnt from the registry.

A KV watcher streams every heartbeat into the directory; an instance whose heartbeat is older
than the registry's staleness limit is not routed to, and a deleted entry is dropped at once.
An entry `RegistryTrust` refuses (a key of cart's claiming identity, a foreign URL) is logged and
never routed to. Watchers do not survive a NATS restart, so the watch is re-created on reconnect.

What a service's live instances are is worked out once per change, not once per request: each
service's snapshot is kept until an entry is put or removed, or until the first of its instances
would go stale, whichever comes first, so it always equals what a fresh look would give.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import structlog
from nats.js.kv import KV_DEL, KV_PURGE

from bazaar_chassis.bus import Bus
from bazaar_chassis.jobs import stop_task
from bazaar_chassis.registry import Deprecation, Instance, services_bucket
from bazaar_gateway import canary
from bazaar_gateway.registry_trust import RegistryTrust
from bazaar_platform.instances import STALE_AFTER_SECONDS, deprecation_of, is_alive, read_entry

_log = structlog.get_logger("bazaar.gateway.directory")


class NoLiveInstance(RuntimeError):
    """Raised by a call that found no live instance of the service to ask: nothing was sent."""


@dataclass(frozen=True, slots=True)
class ServiceView:
    """What the gateway knows of one service: its majors, default and deprecated majors."""

    name: str
    majors: list[int]
    default_major: int
    deprecated_majors: list[int]
    instances: list[Instance]
    deprecations: dict[int, Deprecation] = field(default_factory=dict)

    def successor(self, major: int) -> int | None:
        """The live major a client of a deprecated `major` should move to: the next one up."""
        return next((m for m in self.majors if m > major), None)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One service's live instances at one moment, and until when that answer holds."""

    view: ServiceView | None
    candidates: dict[int, list[Instance]]  # major -> live instances serving it, by key
    plans: dict[int, canary.Plan]  # major -> how a request with nothing to avoid picks
    valid_until: float


class ServiceDirectory:
    def __init__(
        self, trust: RegistryTrust | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._trust = trust or RegistryTrust()
        self._clock = clock
        self._instances: dict[str, Instance] = {}
        self._snapshots: dict[str, _Snapshot] = {}
        self.known: set[str] = set()  # every service ever seen: 503 when all are down, not 404
        self._turns: dict[tuple[str, int], Iterator[int]] = {}
        self._watch_task: asyncio.Task[None] | None = None

    def put(self, instance: Instance, *, key: str | None = None) -> bool:
        """Take the entry stored under `key` (default: the instance's own), if it is trusted."""
        key = instance.key if key is None else key
        refusal = self._trust.refusal(key, instance)
        if refusal is not None:
            self.remove(key)
            _log.warning("refusing a registry entry", key=key, reason=refusal)
            return False
        self._instances[key] = instance
        self._snapshots.clear()
        self.known.add(instance.service)
        return True

    def remove(self, key: str) -> None:
        if self._instances.pop(key, None) is not None:
            self._snapshots.clear()

    def alive(self, service: str | None = None) -> list[Instance]:
        now = self._clock()
        return [
            i
            for i in self._instances.values()
            if is_alive(i, now) and (service is None or i.service == service)
        ]

    def _snapshot(self, service: str) -> _Snapshot:
        now = self._clock()
        snapshot = self._snapshots.get(service)
        if snapshot is not None and now < snapshot.valid_until:
            return snapshot
        live = [i for i in self._instances.values() if i.service == service and is_alive(i, now)]
        by_key = sorted(live, key=lambda i: i.key)
        candidates = {
            m: [i for i in by_key if m in i.majors] for m in {m for i in live for m in i.majors}
        }
        snapshot = self._snapshots[service] = _Snapshot(
            view=self._view_of(service, live),
            candidates=candidates,
            plans={m: canary.Plan.of(instances) for m, instances in candidates.items()},
            valid_until=min((i.heartbeat_at + STALE_AFTER_SECONDS for i in live), default=math.inf),
        )
        return snapshot

    def view(self, service: str) -> ServiceView | None:
        return self._snapshot(service).view

    @staticmethod
    def _view_of(service: str, instances: list[Instance]) -> ServiceView | None:
        if not instances:
            return None
        newest = max(instances, key=lambda i: _version_key(i.version))
        return ServiceView(
            name=service,
            majors=sorted({m for i in instances for m in i.majors}),
            default_major=newest.default_major,
            deprecated_majors=sorted(newest.deprecated_majors),
            instances=sorted(instances, key=lambda i: (i.version, i.instance_id)),
            deprecations={
                m: d
                for m in newest.deprecated_majors
                if (d := deprecation_of(newest, m)) is not None
            },
        )

    def services(self) -> list[ServiceView]:
        names = sorted({i.service for i in self.alive()})
        return [v for n in names if (v := self.view(n)) is not None]

    def candidates(self, service: str, major: int) -> list[Instance]:
        """Every live instance serving `major`, whatever its implementation version (M4)."""
        return list(self._snapshot(service).candidates.get(major, ()))

    def pick(
        self,
        service: str,
        major: int,
        *,
        caller: str = "",
        avoid: frozenset[str] = frozenset(),
    ) -> Instance | None:
        """A live instance serving `major`: the caller's release by weight (sticky), then
        round-robin within that release (see `canary.pick`)."""
        turn = next(self._turns.setdefault((service, major), itertools.count()))
        sticky_key = f"{service}:{caller}"
        if avoid:  # a retry: worked out afresh
            candidates = self.candidates(service, major)
            return canary.pick(candidates, sticky_key=sticky_key, turn=turn, avoid=avoid)
        plan = self._snapshot(service).plans.get(major)
        return plan.pick(sticky_key=sticky_key, turn=turn) if plan is not None else None

    async def on_connect(self, bus: Bus) -> None:
        """(Re)start the registry watch; called by the bus after every (re)connection."""
        await stop_task(self._watch_task)
        bucket = await services_bucket(bus)
        watcher = await bucket.watchall()
        self._watch_task = asyncio.create_task(self._follow(watcher), name="registry-watch")

    async def _follow(self, watcher: object) -> None:
        async for entry in watcher:  # type: ignore[attr-defined]
            if entry is None:  # the end of the initial values
                continue
            if entry.operation in (KV_DEL, KV_PURGE) or not entry.value:
                self.remove(entry.key)
                continue
            try:
                self.put(read_entry(entry.value), key=entry.key)
            except (TypeError, ValueError) as exc:
                _log.warning("ignoring a malformed registry entry", key=entry.key, error=str(exc))

    async def stop(self) -> None:
        await stop_task(self._watch_task)


def _version_key(version: str) -> tuple[int, ...]:
    """ "1.10.2" sorts after "1.9.0"."""
    return tuple(int(part) if part.isdecimal() else 0 for part in version.split("."))
