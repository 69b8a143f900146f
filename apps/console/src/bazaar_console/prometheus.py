"""Production metrics: with `BAZAAR_CONSOLE_PROMETHEUS_URL` the console reads a real Prometheus
through its HTTP API instead of keeping its own store, and shows the same figures from it.

Counts over a window are what each series gained since the window began (its value now minus
its value then, or all of it if it began or restarted since): exactly how the console's own store
counts, and unlike `increase()` never extrapolated, so both sources agree request for request.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import aiohttp
import orjson

from bazaar_chassis import Unavailable
from bazaar_console.counters import Count
from bazaar_console.slo import Sample

GATEWAY = "bazaar_gateway_request_duration_seconds"
ROUTE = ("service", "major", "release", "method", "route", "status")
COUNTERS = {  # the console's name -> (series, the labels it is summed by)
    "requests": ("bazaar_http_request_duration_seconds_count", ("method", "route", "status")),
    "events_consumed": ("bazaar_events_consumed_total", ("event", "outcome")),
    "events_published": ("bazaar_outbox_published_total", ("event",)),
}
TIMEOUT_SECONDS = 10.0


def gained(series: str, window: float) -> str:
    """PromQL: what each series gained over the last `window` seconds."""
    ago = f"{round(window * 1000)}ms"
    return f"(({series} - {series} offset {ago}) >= 0 or {series})"


def _by(labels: tuple[str, ...], expression: str) -> str:
    return f"sum by ({', '.join(labels)}) ({expression})"


def _selector(series: str, service: str | None) -> str:
    return series if service is None else f"{series}{{service={orjson.dumps(service).decode()}}}"


class PrometheusReader:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def _query(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(f"{self.url}/api/v1/{path}", params=params) as reply,
            ):
                body = await reply.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Unavailable(f"Prometheus at {self.url} did not answer: {exc}") from exc
        if body.get("status") != "success":
            raise Unavailable(f"Prometheus refused the query: {body.get('error', body)}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    async def _samples(
        self, *, window: float, service: str | None, step: float | None = None
    ) -> list[Sample]:
        """The gateway's samples over `window` (or over each `step` of it, for a plot)."""
        now = time.time()
        span = window if step is None else step
        queries = {
            part: _by(
                ROUTE + (("le",) if part == "bucket" else ()),
                gained(_selector(f"{GATEWAY}_{part}", service), span),
            )
            for part in ("count", "bucket")
        }
        params = {"time": str(now)}
        path = "query"
        if step is not None:
            params = {"start": str(now - window + step), "end": str(now), "step": str(step)}
            path = "query_range"
        counts: dict[tuple[Any, ...], float] = {}
        buckets: dict[tuple[Any, ...], dict[str, float]] = defaultdict(dict)
        for part, query in queries.items():
            for item in await self._query(path, {**params, "query": query}):
                labels = item["metric"]
                for at, value in [item["value"]] if "value" in item else item["values"]:
                    # a plot's point stands for its step: placed at the step's middle
                    middle = float(at) - (step / 2 if step else 0.0)
                    key = (middle, *(labels.get(n, "") for n in ROUTE))
                    if part == "bucket":
                        buckets[key][labels.get("le", "+Inf")] = float(value)
                    else:
                        counts[key] = float(value)
        return [
            Sample(s, m, r, method, route, int(status or 0), count, buckets[key], at)
            for key, count in counts.items()
            for at, s, m, r, method, route, status in [key]
            if count > 0
        ]

    async def samples(self, *, window: float) -> list[Sample]:
        return await self._samples(window=window, service=None)

    async def steps(self, *, service: str, window: float, step: float) -> list[Sample]:
        return await self._samples(window=window, service=service, step=step)

    async def gains(self, *, window: float) -> list[Count]:
        """What every instance's counters gained over `window`, summed by service and release."""
        found = []
        for metric, (series, labels) in COUNTERS.items():
            query = _by(("service", "version", *labels), gained(series, window))
            for item in await self._query("query", {"query": query, "time": str(time.time())}):
                value = float(item["value"][1])
                if value > 0:
                    tags = dict(item["metric"])
                    service, release = tags.pop("service", ""), tags.pop("version", "")
                    found.append(Count(service, release, metric, tags, value))
        return found
