"""Metrics kept over time, per instance: what each service instance counted itself (requests per
route, events published and consumed, by event name), stored per scrape as the gain since the last.

Each instance's counters have their own baselines (keyed by instance id), so a restart of the
console counts nothing twice, and a restarted instance (its counters back at zero) is counted
from zero. Baselines of instances not seen for the retention period are forgotten.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_console.tables import counter_baselines, counters

SAMPLES = {  # what the chassis exposes -> what the console keeps
    "bazaar_http_request_duration_seconds_count": "requests",
    "bazaar_events_consumed_total": "events_consumed",
    "bazaar_outbox_published_total": "events_published",
}


@dataclass(frozen=True, slots=True)
class Count:
    """One counter: cumulative as scraped, or what it gained over a window."""

    service: str
    release: str
    metric: str
    labels: dict[str, str] = field(default_factory=dict)
    value: float = 0.0

    @property
    def key(self) -> str:
        return orjson.dumps(
            [self.service, self.release, self.metric, sorted(self.labels.items())]
        ).decode()


def parse(text: str) -> list[Count]:
    """The counters the console keeps, from one instance's Prometheus text exposition."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            metric = SAMPLES.get(sample.name)
            if metric is None:
                continue
            labels = dict(sample.labels)
            service, release = labels.pop("service", ""), labels.pop("version", "")
            found.append(Count(service, release, metric, labels, sample.value))
    return found


async def record(
    connection: AsyncConnection, instance: str, scraped: list[Count], *, at: float | None = None
) -> int:
    """Store what each of `instance`'s counters gained since its last scrape; returns how many
    counters gained."""
    at = time.time() if at is None else at
    prefix = f"{instance}|"
    known = {
        row.series: row.value
        for row in (
            await connection.execute(
                select(counter_baselines).where(counter_baselines.c.series.startswith(prefix))
            )
        ).all()
    }
    gained, changed = [], []
    for count in scraped:
        series = prefix + count.key
        before = known.get(series)
        gain = count.value if before is None or count.value < before else count.value - before
        if gain > 0:
            gained.append(
                {
                    "at": at,
                    "service": count.service,
                    "release": count.release,
                    "metric": count.metric,
                    "labels": orjson.dumps(count.labels, option=orjson.OPT_SORT_KEYS).decode(),
                    "gain": gain,
                }
            )
        if before != count.value:
            changed.append({"series": series, "value": count.value, "seen_at": at})
    if changed:
        await connection.execute(
            delete(counter_baselines).where(
                counter_baselines.c.series.in_([c["series"] for c in changed])
            )
        )
        await connection.execute(counter_baselines.insert(), changed)
    await connection.execute(
        update(counter_baselines)
        .where(counter_baselines.c.series.startswith(prefix))
        .values(seen_at=at)
    )
    if gained:
        await connection.execute(counters.insert(), gained)
    return len(gained)


async def gains(
    connection: AsyncConnection, *, window: float, now: float | None = None
) -> list[Count]:
    """What every counter gained over the last `window` seconds, summed over instances."""
    now = time.time() if now is None else now
    rows = (
        await connection.execute(
            select(
                counters.c.service,
                counters.c.release,
                counters.c.metric,
                counters.c.labels,
                func.sum(counters.c.gain).label("gain"),
            )
            .where(counters.c.at > now - window)
            .group_by(counters.c.service, counters.c.release, counters.c.metric, counters.c.labels)
        )
    ).all()
    return [
        Count(r.service, r.release, r.metric, orjson.loads(r.labels), float(r.gain)) for r in rows
    ]


async def prune(connection: AsyncConnection, *, cutoff: float, limit: int) -> None:
    """Forget gains older than `cutoff` and all but the newest `limit`, and the baselines of
    instances not seen since `cutoff`."""
    await connection.execute(delete(counters).where(counters.c.at < cutoff))
    oldest_kept = await connection.scalar(
        select(counters.c.id).order_by(counters.c.id.desc()).offset(limit).limit(1)
    )
    if oldest_kept is not None:
        await connection.execute(delete(counters).where(counters.c.id <= oldest_kept))
    await connection.execute(delete(counter_baselines).where(counter_baselines.c.seen_at < cutoff))


def summed(found: list[Count], metric: str, *keys: str) -> dict[tuple[str, ...], float]:
    """Gains of one metric, summed by service, release or any of its labels."""
    totals: dict[tuple[str, ...], float] = defaultdict(float)
    for count in found:
        if count.metric == metric:
            fields = {"service": count.service, "release": count.release, **count.labels}
            totals[tuple(fields.get(k, "") for k in keys)] += count.value
    return dict(totals)
