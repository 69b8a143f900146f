"""`bazaar versions <service>`: the live releases of one service, their instances, majors, weights
and share of traffic (sampled now, over the last hour from the console's store, and in total),
read from the gateway's registry view, its request counters and the console's SLO report."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from bazaar_cli import readiness
from bazaar_cli.operations import OperationFailed

REQUESTS = "bazaar_gateway_request_duration_seconds"
LONG_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class Traffic:
    """Requests per release since the gateway started, before and after `window_seconds`."""

    window_seconds: float
    before: dict[str, float]
    after: dict[str, float]
    long_window: dict[str, float] | None = None  # the console's count over LONG_WINDOW_SECONDS

    def recent(self) -> dict[str, float]:
        return {r: n - self.before.get(r, 0) for r, n in self.after.items()}


def requests_per_release(metrics_text: str, service: str) -> dict[str, float]:
    """How many requests the gateway forwarded to each release of `service` (every major)."""
    counts: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(metrics_text):
        if family.name != REQUESTS:
            continue
        for sample in family.samples:
            if sample.name == f"{REQUESTS}_count" and sample.labels.get("service") == service:
                counts[sample.labels.get("release", "")] += sample.value
    return dict(counts)


def requests_per_release_stored(report: Any, service: str) -> dict[str, float]:
    """Requests per release of `service` in the console's SLO report (`/console/1/slo`)."""
    return {
        r["release"]: float(r["requests"]) for r in report["releases"] if r["service"] == service
    }


def share(counts: dict[str, float] | None, release: str) -> str:
    if counts is None:
        return "-"
    total = sum(counts.values())
    if total <= 0:
        return "-"
    return f"{100 * counts.get(release, 0) / total:.1f}% ({int(counts.get(release, 0))})"


def versions_table(entry: dict[str, Any], *, health: dict[str, str], traffic: Traffic) -> Table:
    """One row per instance, grouped by release; a release's share is shown on its first row."""
    table = Table(title=f"{entry['name']} — default major v{entry['default_major']}")
    window = f"share, last {traffic.window_seconds:g} s"
    hour = f"share, last {LONG_WINDOW_SECONDS / 3600:g} h"
    columns = ["release", "instance", "url", "health", "majors", "weight", window, hour]
    columns.append("share, total")
    for column in columns:
        table.add_column(column)
    recent = traffic.recent()
    shown: set[str] = set()
    for i in sorted(entry["instances"], key=lambda i: (i["version"], i["id"])):
        release = i["version"]
        first = release not in shown
        shown.add(release)
        status = health.get(i["id"], "not answering")
        colour = {"ready": "green", "degraded": "yellow"}.get(status, "red")
        deprecated = set(entry.get("deprecated_majors", []))
        majors = ", ".join(
            f"v{m}" + (" (deprecated)" if m in deprecated else "") for m in i["majors"]
        )
        table.add_row(
            release if first else "",
            i["id"],
            i["url"],
            f"[{colour}]{status}[/]",
            majors,
            str(i.get("weight", 100)),
            share(recent, release) if first else "",
            share(traffic.long_window, release) if first else "",
            share(traffic.after, release) if first else "",
        )
    return table


async def _metrics(session: aiohttp.ClientSession, gateway: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(f"{gateway}/metrics", headers=headers) as reply:
        if reply.status != 200:
            raise OperationFailed(f"/metrics: {reply.status} (is the operations token current?)")
        return await reply.text()


async def gather(
    gateway: str, *, entry: dict[str, Any], operations_token: str, window_seconds: float
) -> tuple[dict[str, str], Traffic]:
    """Each instance's readiness, and the service's requests per release over the window."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        before = requests_per_release(
            await _metrics(session, gateway, operations_token), entry["name"]
        )
        probes = await asyncio.gather(
            *(readiness.probe(session, f"{i['url']}/readyz") for i in entry["instances"])
        )
        await asyncio.sleep(window_seconds)  # the sampling window itself, not a wait for a state
        after = requests_per_release(
            await _metrics(session, gateway, operations_token), entry["name"]
        )
    health = {
        i["id"]: (body or {}).get("status", "not answering")
        for i, body in zip(entry["instances"], probes, strict=True)
    }
    return health, Traffic(window_seconds=window_seconds, before=before, after=after)


def operations_token(data_dir: Path) -> str:
    path = data_dir / "secrets" / "gateway-operations-token"
    if not path.exists():
        raise OperationFailed(f"no operations token in {path.parent} (is this the platform's?)")
    return path.read_text().strip()


def show_versions(
    body: Any,
    console: Console,
    *,
    service: str,
    gateway: str,
    token: str,
    window_seconds: float,
    stored: Any = None,
) -> None:
    """`stored`: the console's SLO report over the long window, if it could be had."""
    entry = next((s for s in body["items"] if s["name"] == service), None)
    if entry is None:
        live = ", ".join(s["name"] for s in body["items"]) or "none"
        raise OperationFailed(f"no live instance of {service!r} (live services: {live})")
    health, traffic = asyncio.run(
        gather(gateway, entry=entry, operations_token=token, window_seconds=window_seconds)
    )
    if stored is not None:
        long_window = requests_per_release_stored(stored, service)
        traffic = Traffic(traffic.window_seconds, traffic.before, traffic.after, long_window)
    console.print(versions_table(entry, health=health, traffic=traffic))
