"""What is live, read from the registry and JetStream: services with their releases, majors,
instances and health; events with their producer (the system of record of the entity), who
declares consuming them, and what each durable actually has left to read.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import aiohttp
from nats.js.errors import NotFoundError

from bazaar_chassis.bus import Bus
from bazaar_chassis.envelope import stream_name
from bazaar_chassis.registry import Instance

HEALTH_TIMEOUT_SECONDS = 1.0


async def _health(session: aiohttp.ClientSession, instance: Instance) -> str:
    try:
        async with session.get(instance.url + "/readyz") as reply:
            body = await reply.json(content_type=None)
            return str(body.get("status", "unknown"))
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return "unreachable"


async def services(instances: list[Instance], share: dict[str, dict[str, int]]) -> list[Any]:
    """Every live service: releases (with their traffic share), majors, instances and health."""
    timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        health = await asyncio.gather(*(_health(session, i) for i in instances))
    by_service: dict[str, list[tuple[Instance, str]]] = defaultdict(list)
    for instance, status in zip(instances, health, strict=True):
        by_service[instance.service].append((instance, status))
    now = time.time()
    items = []
    for name, members in sorted(by_service.items()):
        requests = share.get(name, {})
        total = sum(requests.values())
        releases = sorted({i.version for i, _ in members})
        items.append(
            {
                "name": name,
                "majors": sorted({m for i, _ in members for m in i.majors}),
                "deprecated_majors": sorted({m for i, _ in members for m in i.deprecated_majors}),
                "releases": [
                    {
                        "release": r,
                        "instances": sum(1 for i, _ in members if i.version == r),
                        "majors": sorted(
                            {m for i, _ in members if i.version == r for m in i.majors}
                        ),
                        "requests": requests.get(r, 0),
                        "traffic_share": requests.get(r, 0) / total if total else None,
                    }
                    for r in releases
                ],
                "health": "ready" if all(s == "ready" for _, s in members) else "degraded",
                "openapi": [
                    f"/{name}/{m}/openapi.json"
                    for m in sorted({m for i, _ in members for m in i.majors})
                ],
                "instances": [
                    {
                        "id": i.instance_id,
                        "release": i.version,
                        "url": i.url,
                        "majors": i.majors,
                        "health": status,
                        "up_seconds": round(now - i.started_at, 1),
                        "heartbeat_age_seconds": round(now - i.heartbeat_at, 1),
                    }
                    for i, status in sorted(members, key=lambda m: (m[0].version, m[0].instance_id))
                ],
            }
        )
    return items


async def _durable(bus: Bus, producer: str, consumer: str) -> dict[str, Any] | None:
    try:
        info = await bus.js.consumer_info(stream_name(producer), consumer)
    except NotFoundError:
        return None
    return {
        "durable": consumer,
        "pending": info.num_pending,
        "ack_pending": info.num_ack_pending,
        "redelivered": info.num_redelivered,
        "delivered_sequence": info.delivered.stream_seq if info.delivered else None,
    }


async def _stream(bus: Bus, producer: str) -> dict[str, Any] | None:
    try:
        info = await bus.js.stream_info(stream_name(producer))
    except NotFoundError:
        return None
    return {
        "name": stream_name(producer),
        "messages": info.state.messages,
        "last_sequence": info.state.last_seq,
    }


async def events(bus: Bus, instances: list[Instance]) -> dict[str, Any]:
    """Every event type declared by a live producer, with its consumers and their durables."""
    producers: dict[str, set[str]] = defaultdict(set)  # event type -> producing services
    consumers: dict[str, set[str]] = defaultdict(set)  # `<producer>.<event>` -> consuming services
    for instance in instances:
        for event_type in instance.publishes:
            producers[event_type].add(instance.service)
        for name in instance.consumes:
            consumers[name].add(instance.service)
    pairs = sorted({(n.split(".", 1)[0], c) for n, cs in consumers.items() for c in cs})
    durable_states = await asyncio.gather(*(_durable(bus, p, c) for p, c in pairs))
    durables = dict(zip(pairs, durable_states, strict=True))
    streams = {p: await _stream(bus, p) for p in sorted({t.split(".", 1)[0] for t in producers})}
    names = sorted({t.rsplit(".", 1)[0] for t in producers} | set(consumers))
    items = []
    for name in names:
        producer = name.split(".", 1)[0]
        types = sorted(t for t in producers if t.rsplit(".", 1)[0] == name)
        items.append(
            {
                "name": name,
                "types": types,
                "schema_versions": sorted(int(t.rsplit(".v", 1)[1]) for t in types),
                "producer": producer,
                "system_of_record": producer,
                "stream": stream_name(producer),
                "declared_by_producer": bool(types),
                "consumers": [
                    {"service": c, "declared": True, "durable": durables.get((producer, c))}
                    for c in sorted(consumers.get(name, set()))
                ],
            }
        )
    return {"items": items, "streams": [s for s in streams.values() if s is not None]}
