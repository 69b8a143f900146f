"""The live policy: kept in the gateway's own NATS KV bucket, watched by every gateway instance.

A replacement (PUT /gateway/1/policies) is written with the revision it was based on, so two
operators cannot overwrite each other unknowingly; every instance's watcher swaps its compiled
index as soon as the new revision arrives — no restart. Until the bucket has been read, the
gateway denies everything: it never falls back to a policy looser than the operator's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from importlib.resources import files
from typing import Any

import orjson
import structlog
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue
from pydantic import TypeAdapter

from bazaar_chassis.bus import Bus, open_bucket
from bazaar_chassis.errors import Conflict, Unavailable
from bazaar_chassis.jobs import stop_task
from bazaar_gateway.policy import PolicyIndex, Rule, parse_csv
from bazaar_platform.provisioning import POLICY_BUCKET

BUCKET = POLICY_BUCKET
KEY = "current"
_RULES = TypeAdapter(list[Rule])

_log = structlog.get_logger("bazaar.gateway.policies")


def default_rules() -> list[Rule]:
    return parse_csv(files("bazaar_gateway").joinpath("default_policy.csv").read_text())


class PolicyStore:
    def __init__(self) -> None:
        self.index = PolicyIndex([])  # deny everything until the stored policy is read
        self.revision = 0
        self.loaded = False
        self._bus: Bus | None = None
        self._watch: asyncio.Task[None] | None = None

    async def _bucket(self, bus: Bus) -> KeyValue:
        return await open_bucket(bus.js, BUCKET)  # the operator's; the gateway cannot create it

    async def on_connect(self, bus: Bus) -> None:
        """Load (seeding the default the very first time) and watch; after every reconnect."""
        self._bus = bus
        bucket = await self._bucket(bus)
        with contextlib.suppress(KeyWrongLastSequenceError):  # already there: keep it
            await bucket.create(KEY, _encode(default_rules(), by="default"))
        entry = await bucket.get(KEY)
        self._apply(entry.value, entry.revision)
        await stop_task(self._watch)
        watcher = await bucket.watch(KEY)
        self._watch = asyncio.create_task(self._follow(watcher), name="policy-watch")

    async def _follow(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is None or entry.operation in (KV_DEL, KV_PURGE) or not entry.value:
                continue
            self._apply(entry.value, entry.revision)

    def _apply(self, value: bytes | None, revision: int | None) -> None:
        if not value or revision is None or (revision <= self.revision and self.loaded):
            return
        document = orjson.loads(value)
        self.index = PolicyIndex(_RULES.validate_python(document["rules"]))
        self.revision = revision
        self.loaded = True
        _log.info("policy loaded", revision=revision, rules=len(self.index.rules))

    def document(self) -> dict[str, Any]:
        return {
            "version": self.revision,
            "rules": [rule.model_dump() for rule in self.index.rules],
        }

    async def replace(self, rules: list[Rule], *, expected_version: int | None, by: str) -> int:
        if self._bus is None or not self._bus.connected:
            raise Unavailable("the policy store (NATS) is not reachable right now")
        bucket = await self._bucket(self._bus)
        current = await bucket.get(KEY)
        if expected_version is not None and expected_version != current.revision:
            raise Conflict(
                f"the policy is at version {current.revision}, not {expected_version}; "
                "read it again and retry"
            )
        try:
            revision = await bucket.update(KEY, _encode(rules, by=by), last=current.revision)
        except KeyWrongLastSequenceError as exc:
            raise Conflict("the policy changed meanwhile; read it again and retry") from exc
        self._apply(_encode(rules, by=by), revision)
        return int(revision)

    async def stop(self) -> None:
        await stop_task(self._watch)


def _encode(rules: list[Rule], *, by: str) -> bytes:
    return orjson.dumps(
        {"rules": [r.model_dump() for r in rules], "updated_by": by, "updated_at": time.time()}
    )
