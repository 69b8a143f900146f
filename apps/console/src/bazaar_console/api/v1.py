"""The console's API (`/console/1/...`): operators and admins only (the gateway's policy says so,
and the console checks the role again)."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from bazaar_chassis import CallerDep, Forbidden, NotFound, RuntimeDep
from bazaar_console import activity, dead_letters, discovery, slo, traces
from bazaar_console.state import Console, get_console
from bazaar_platform.instances import live_instances

OPERATOR_ROLES = frozenset({"operator", "admin"})


def operator_only(caller: CallerDep) -> None:
    if not OPERATOR_ROLES & set(caller.roles):
        raise Forbidden("the console is for operators and admins")


router = APIRouter(dependencies=[Depends(operator_only)])
ConsoleDep = Annotated[Console, Depends(get_console)]
Window = Annotated[float, Query(gt=0, le=7 * 24 * 3600, description="seconds, up to a week")]


class Discard(BaseModel):
    reason: str = Field(  # the rule is the use case's (a clear detail); the schema says it too
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
        description="why the dead letter is dropped for good: not only blanks",
    )


class Retry(BaseModel):
    data: dict[str, Any] | None = None  # the event's data, corrected by the operator


def traffic_share(found: list[slo.Sample]) -> dict[str, dict[str, int]]:
    """Requests per service and release, from the gateway's samples."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for sample in found:
        totals[(sample.service, sample.release)] += sample.count
    share: dict[str, dict[str, int]] = defaultdict(dict)
    for (service, release), requests in totals.items():
        share[service][release] = round(requests)
    return share


@router.get("/services")
async def list_services(
    runtime: RuntimeDep, console: ConsoleDep, window: Window = 300
) -> dict[str, Any]:
    """Every live service: releases and their traffic share, API majors, instances, health, and
    what its instances counted over `window` (requests per route, events published and
    consumed)."""
    instances = await live_instances(runtime.bus)
    found = await console.samples(runtime, window=window)
    items = await discovery.services(instances, traffic_share(found))
    activity.add_to_services(items, await console.gains(runtime, window=window), window=window)
    return {"items": items, "source": console.source}


@router.get("/events")
async def list_events(
    runtime: RuntimeDep, console: ConsoleDep, window: Window = 300
) -> dict[str, Any]:
    """Every event type: producer, consumers (declared, and their durables' backlog), schemas,
    and over `window`: published and consumed per second, each consumer's lag."""
    instances = await live_instances(runtime.bus)
    found = await discovery.events(runtime.bus, instances)
    gains = await console.gains(runtime, window=window)
    activity.add_to_events(found["items"], gains, window=window)
    found["dead_letters"] = len(await dead_letters.listing(runtime.bus))
    return {**found, "source": console.source}


@router.get("/slo")
async def service_levels(
    runtime: RuntimeDep, console: ConsoleDep, window: Window = 300
) -> dict[str, Any]:
    """Per service, major, release and route: requests, availability, error rates, p50/p95/p99."""
    found = await console.samples(runtime, window=window)
    return {
        **slo.report(found, window=window, source=console.source),
        "last_scrape": console.last_scrape,
        "scrape_error": console.last_error,
        "instance_scrape_errors": console.instance_errors,
    }


@router.get("/slo/series")
async def service_level_series(
    runtime: RuntimeDep,
    console: ConsoleDep,
    service: str,
    window: Window = 3600,
    step: Annotated[float, Query(ge=1)] = 60,
) -> dict[str, Any]:
    """One service's requests, availability and percentiles per `step` seconds."""
    found = await console.steps(runtime, service=service, window=window, step=step)
    points = slo.series(found, window=window, step=step, now=time.time())
    return {"service": service, "step_seconds": step, "points": points, "source": console.source}


@router.get("/traces")
async def search_traces(
    runtime: RuntimeDep, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> dict[str, Any]:
    """Traces by trace id, request id, order id or SKU."""
    async with runtime.database.snapshot() as connection:
        return {"items": await traces.find(connection, q)}


@router.get("/traces/{trace_id}")
async def get_trace(runtime: RuntimeDep, trace_id: str) -> dict[str, Any]:
    """One trace as a waterfall: every span with its service, release, depth and timing."""
    async with runtime.database.snapshot() as connection:
        found = await traces.waterfall(connection, trace_id)
    if found is None:
        raise NotFound(f"no trace {trace_id} (yet: spans arrive about a second after they end)")
    return found


@router.get("/dead-letters")
async def list_dead_letters(runtime: RuntimeDep) -> dict[str, Any]:
    """Events consumers gave up on, with the error; and those an operator discarded."""
    async with runtime.database.snapshot() as connection:
        gone = await dead_letters.discarded_letters(connection)
    return {"items": await dead_letters.listing(runtime.bus), "discarded": gone}


@router.post("/dead-letters/retry")
async def retry_all(runtime: RuntimeDep) -> dict[str, Any]:
    """Retry every dead letter that is a Bazaar event."""
    retried = []
    for letter in await dead_letters.listing(runtime.bus):
        if letter["event"] is not None:
            retried.append(await dead_letters.retry(runtime.bus, letter["sequence"]))
    return {"retried": retried}


@router.post("/dead-letters/{sequence}/retry")
async def retry_one(
    runtime: RuntimeDep, sequence: int, body: Retry | None = None
) -> dict[str, Any]:
    """Publish the event again for its consumers (its data corrected, if given), and drop the
    dead letter."""
    corrected = body.data if body is not None else None
    return {"retried": await dead_letters.retry(runtime.bus, sequence, corrected=corrected)}


@router.post("/dead-letters/{sequence}/discard")
async def discard_one(
    runtime: RuntimeDep, caller: CallerDep, sequence: int, body: Discard
) -> dict[str, Any]:
    """Drop a dead letter for good, with a reason."""
    async with runtime.database.transaction() as connection:
        return await dead_letters.discard(
            runtime.bus, connection, sequence, reason=body.reason, by=caller.subject
        )
