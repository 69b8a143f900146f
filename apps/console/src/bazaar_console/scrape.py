"""Metrics kept over time: the console scrapes the gateway's `/metrics` and keeps, per scrape,
what each series gained since the last one (so a restart of either side loses nothing).

The gateway counts every answer, refusals included, by service, major, release, route template
and status: the client's view of each API. The baseline of each series is stored with the
samples, so a console restart does not count old requests again; a series that went down
(the gateway restarted) counts from zero.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_console.tables import baselines, samples

FAMILY = "bazaar_gateway_request_duration_seconds"
LABELS = ("service", "major", "release", "method", "route", "status")


@dataclass(slots=True)
class Series:
    """One labelled histogram, cumulative as scraped."""

    labels: dict[str, str]
    count: float = 0.0
    total_seconds: float = 0.0
    buckets: dict[str, float] | None = None

    @property
    def key(self) -> str:
        return orjson.dumps([self.labels.get(n, "") for n in LABELS]).decode()


def parse(text: str) -> list[Series]:
    """The gateway's request histograms in a Prometheus text exposition."""
    found: dict[str, Series] = {}
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            series = Series(labels)
            series = found.setdefault(series.key, series)
            if sample.name.endswith("_bucket"):
                series.buckets = {**(series.buckets or {}), sample.labels["le"]: sample.value}
            elif sample.name.endswith("_count"):
                series.count = sample.value
            elif sample.name.endswith("_sum"):
                series.total_seconds = sample.value
    return list(found.values())


def _gain(now: Series, before: Any) -> tuple[float, float, dict[str, float]]:
    """What `now` gained since `before` (a stored baseline row, or None); all of it after a
    reset."""
    buckets = now.buckets or {}
    if before is None or now.count < before.count:
        return now.count, now.total_seconds, buckets
    old = orjson.loads(before.buckets)
    return (
        now.count - before.count,
        now.total_seconds - before.total_seconds,
        {le: value - old.get(le, 0.0) for le, value in buckets.items()},
    )


async def record(
    connection: AsyncConnection, scraped: list[Series], *, at: float | None = None
) -> int:
    """Store what each series gained since the last scrape; returns the requests counted."""
    at = time.time() if at is None else at
    known = {row.series: row for row in (await connection.execute(select(baselines))).all()}
    gained_rows, counted = [], 0
    for series in scraped:
        count, total, buckets = _gain(series, known.get(series.key))
        if count > 0:
            labels = series.labels
            gained_rows.append(
                {
                    "at": at,
                    "service": labels.get("service", ""),
                    "major": labels.get("major", ""),
                    "release": labels.get("release", ""),
                    "method": labels.get("method", ""),
                    "route": labels.get("route", ""),
                    "status": int(labels.get("status", "0")),
                    "count": count,
                    "total_seconds": total,
                    "buckets": orjson.dumps(buckets).decode(),
                }
            )
            counted += int(count)
        if count > 0 or series.key not in known:
            await connection.execute(delete(baselines).where(baselines.c.series == series.key))
            await connection.execute(
                baselines.insert().values(
                    series=series.key,
                    count=series.count,
                    total_seconds=series.total_seconds,
                    buckets=orjson.dumps(series.buckets or {}).decode(),
                )
            )
    if gained_rows:
        await connection.execute(samples.insert(), gained_rows)
    return counted


async def forget_before(connection: AsyncConnection, cutoff: float) -> None:
    await connection.execute(delete(samples).where(samples.c.at < cutoff))
