"""Accountability per service, release and route over a window: requests, availability (the
share of answers that were not 5xx), error rates and latency percentiles, from the gateway's
samples — kept by the console itself or read from Prometheus (`prometheus.py`).

Percentiles are estimated from histogram buckets as Prometheus's `histogram_quantile` does:
linear interpolation inside the bucket the rank falls in.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_console.tables import samples

QUANTILES = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99}


def quantile(q: float, buckets: dict[str, float]) -> float | None:
    """The q-quantile, in seconds, of a histogram given as cumulative {le: count}."""
    ordered = sorted((float(le), count) for le, count in buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


@dataclass(frozen=True, slots=True)
class Sample:
    """What one gateway series (service, major, release, method, route, status) counted over a
    stretch of time, ending `at`: from the console's own store or from Prometheus."""

    service: str
    major: str
    release: str
    method: str
    route: str
    status: int
    count: float
    buckets: dict[str, float]
    at: float = 0.0


async def stored(
    connection: AsyncConnection, *, since: float, service: str | None = None
) -> list[Sample]:
    """The console's own samples since `since` (of one service, if named)."""
    query = select(samples).where(samples.c.at > since)
    if service is not None:
        query = query.where(samples.c.service == service)
    rows = (await connection.execute(query)).mappings().all()
    return [
        Sample(
            r["service"],
            r["major"],
            r["release"],
            r["method"],
            r["route"],
            r["status"],
            r["count"],
            orjson.loads(r["buckets"]),
            r["at"],
        )
        for r in rows
    ]


def _summary(rows: list[Sample]) -> dict[str, Any]:
    requests = sum(r.count for r in rows)
    by_status: dict[str, int] = defaultdict(int)
    buckets: dict[str, float] = defaultdict(float)
    for r in rows:
        by_status[str(r.status)] += round(r.count)
        for le, value in r.buckets.items():
            buckets[le] += value
    server_errors = sum(r.count for r in rows if r.status >= 500)
    client_errors = sum(r.count for r in rows if 400 <= r.status < 500)
    summary: dict[str, Any] = {
        "requests": round(requests),
        "server_errors": round(server_errors),
        "client_errors": round(client_errors),
        "availability": 1 - server_errors / requests if requests else None,
        "error_rate": server_errors / requests if requests else None,
        "client_error_rate": client_errors / requests if requests else None,
        "by_status": {k: v for k, v in sorted(by_status.items()) if v},
    }
    for name, q in QUANTILES.items():
        seconds = quantile(q, buckets)
        summary[name] = None if seconds is None else round(seconds * 1000, 3)
    return summary


def report(found: list[Sample], *, window: float, source: str) -> dict[str, Any]:
    """Per (service, major, release, route) and per (service, release) over `window` seconds."""
    routes: dict[tuple[str, str, str, str], list[Sample]] = defaultdict(list)
    releases: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for row in found:
        routes[(row.service, row.major, row.release, row.route)].append(row)
        releases[(row.service, row.release)].append(row)
    return {
        "window_seconds": window,
        "source": source,
        "routes": [
            {"service": s, "major": m, "release": r, "route": route, **_summary(group)}
            for (s, m, r, route), group in sorted(routes.items())
        ],
        "releases": [
            {"service": s, "release": r, **_summary(group)}
            for (s, r), group in sorted(releases.items())
        ],
    }


def series(found: list[Sample], *, window: float, step: float, now: float) -> list[dict[str, Any]]:
    """Requests, availability and percentiles per `step` seconds: a plot over time."""
    slots: dict[int, list[Sample]] = defaultdict(list)
    for row in found:
        slots[int((row.at - (now - window)) // step)].append(row)
    return [
        {"at": now - window + slot * step, **_summary(group)}
        for slot, group in sorted(slots.items())
    ]
