"""Accountability per service, release and route over a window: requests, availability (the
share of answers that were not 5xx), error rates and latency percentiles, from stored samples.

Percentiles are estimated from histogram buckets as Prometheus's `histogram_quantile` does:
linear interpolation inside the bucket the rank falls in.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
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


def _summary(rows: list[Any]) -> dict[str, Any]:
    requests = sum(r.count for r in rows)
    by_status: dict[str, int] = defaultdict(int)
    buckets: dict[str, float] = defaultdict(float)
    for r in rows:
        by_status[str(r.status)] += int(r.count)
        for le, value in orjson.loads(r.buckets).items():
            buckets[le] += value
    server_errors = sum(r.count for r in rows if r.status >= 500)
    client_errors = sum(r.count for r in rows if 400 <= r.status < 500)
    summary: dict[str, Any] = {
        "requests": int(requests),
        "server_errors": int(server_errors),
        "client_errors": int(client_errors),
        "availability": 1 - server_errors / requests if requests else None,
        "error_rate": server_errors / requests if requests else None,
        "client_error_rate": client_errors / requests if requests else None,
        "by_status": dict(sorted(by_status.items())),
    }
    for name, q in QUANTILES.items():
        seconds = quantile(q, buckets)
        summary[name] = None if seconds is None else round(seconds * 1000, 3)
    return summary


async def report(
    connection: AsyncConnection, *, window: float, now: float | None = None
) -> dict[str, Any]:
    """Per (service, major, release, route) and per (service, release) over the last `window`
    seconds."""
    now = time.time() if now is None else now
    rows = (await connection.execute(select(samples).where(samples.c.at > now - window))).all()
    routes: dict[tuple[str, str, str, str], list[Any]] = defaultdict(list)
    releases: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        routes[(row.service, row.major, row.release, row.route)].append(row)
        releases[(row.service, row.release)].append(row)
    return {
        "window_seconds": window,
        "source": "gateway",
        "routes": [
            {"service": s, "major": m, "release": r, "route": route, **_summary(group)}
            for (s, m, r, route), group in sorted(routes.items())
        ],
        "releases": [
            {"service": s, "release": r, **_summary(group)}
            for (s, r), group in sorted(releases.items())
        ],
    }


async def series(
    connection: AsyncConnection, *, service: str, window: float, step: float
) -> list[dict[str, Any]]:
    """Requests, availability and p95 of `service` per `step` seconds: a plot over time."""
    now = time.time()
    rows = (
        await connection.execute(
            select(samples).where(samples.c.at > now - window, samples.c.service == service)
        )
    ).all()
    slots: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        slots[int((row.at - (now - window)) // step)].append(row)
    return [
        {"at": now - window + slot * step, **_summary(group)}
        for slot, group in sorted(slots.items())
    ]
