"""What the console's routes and jobs share: the scraper of the gateway's and every instance's
metrics into the console's own store, and the reads of metrics from that store or, when
configured, from Prometheus."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from fastapi import Request

from bazaar_chassis import Runtime, Unavailable
from bazaar_console import counters, scrape, slo
from bazaar_console.counters import Count
from bazaar_console.prometheus import PrometheusReader
from bazaar_console.settings import ConsoleSettings
from bazaar_console.slo import Sample
from bazaar_platform.instances import live_instances
from bazaar_platform.operations_token import presents_operations_token

FRESH_SECONDS = 1.0
SCRAPE_TIMEOUT_SECONDS = 5.0


class Console:
    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.prometheus = (
            PrometheusReader(settings.prometheus_url) if settings.prometheus_url else None
        )
        self._lock = asyncio.Lock()
        self.last_scrape = 0.0  # when the gateway last answered a scrape
        self._scraped_at = 0.0  # when the last scrape ended, whatever answered
        self.last_error: str | None = None
        self.instance_errors: dict[str, str] = {}  # instance id -> why its last scrape failed

    @property
    def source(self) -> str:
        """Where the figures come from: the console's own store or Prometheus."""
        return "prometheus" if self.prometheus else "console"

    def has_operations_token(self, authorization: str | None) -> bool:
        token = self.settings.operations_token
        secret = token.get_secret_value() if token else None
        return presents_operations_token(authorization, secret)

    def _headers(self) -> dict[str, str]:
        token = self.settings.operations_token
        return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}

    async def _get(self, session: aiohttp.ClientSession, url: str) -> str:
        async with session.get(url + "/metrics", headers=self._headers()) as reply:
            if reply.status != 200:
                raise ValueError(f"{url}/metrics answered {reply.status}")
            return await reply.text()

    async def _scrape(self, runtime: Runtime) -> None:
        """Scrape the gateway and every registered instance once and store what each counted
        since the last time (the caller holds the lock)."""
        try:
            instances = await live_instances(runtime.bus)
            bus_error = None
        except Unavailable as exc:  # the gateway's figures do not need the bus
            instances, bus_error = [], f"no instances to scrape: {exc.detail}"
        timeout = aiohttp.ClientTimeout(total=SCRAPE_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            gateway, *scraped = await asyncio.gather(
                self._get(session, runtime.settings.gateway_url),
                *(self._get(session, i.url) for i in instances),
                return_exceptions=True,
            )
        self.instance_errors = {
            i.instance_id: str(text)
            for i, text in zip(instances, scraped, strict=True)
            if isinstance(text, BaseException)
        }
        if bus_error is not None:
            self.instance_errors["*"] = bus_error
        at = time.time()
        async with runtime.database.transaction() as connection:
            if isinstance(gateway, str):
                await scrape.record(connection, scrape.parse(gateway), at=at)
            for instance, text in zip(instances, scraped, strict=True):
                if isinstance(text, str):
                    parsed = counters.parse(text)
                    await counters.record(connection, instance.instance_id, parsed, at=at)
        self._scraped_at = at
        if isinstance(gateway, BaseException):
            self.last_error = f"gateway /metrics unreachable: {gateway}"
        else:
            self.last_scrape, self.last_error = at, None

    async def fresh(self, runtime: Runtime) -> None:
        """Scrape now unless the last scrape (of the gateway and every instance, whether the
        gateway answered or not) is under a second old, so a read is current; reads that arrive
        during a scrape wait for it instead of scraping again. With Prometheus, nothing:
        Prometheus scrapes."""
        if self.prometheus is not None:
            return
        async with self._lock:
            if time.time() - self._scraped_at > FRESH_SECONDS:
                await self._scrape(runtime)

    async def samples(self, runtime: Runtime, *, window: float) -> list[Sample]:
        """What the gateway counted over the last `window` seconds."""
        if self.prometheus is not None:
            return await self.prometheus.samples(window=window)
        await self.fresh(runtime)
        async with runtime.database.snapshot() as connection:
            return await slo.stored(connection, since=time.time() - window)

    async def steps(
        self, runtime: Runtime, *, service: str, window: float, step: float
    ) -> list[Sample]:
        """What the gateway counted for `service`, per `step` seconds over `window`."""
        if self.prometheus is not None:
            return await self.prometheus.steps(service=service, window=window, step=step)
        await self.fresh(runtime)
        async with runtime.database.snapshot() as connection:
            return await slo.stored(connection, since=time.time() - window, service=service)

    async def gains(self, runtime: Runtime, *, window: float) -> list[Count]:
        """What every instance counted itself over the last `window` seconds."""
        if self.prometheus is not None:
            return await self.prometheus.gains(window=window)
        await self.fresh(runtime)
        async with runtime.database.snapshot() as connection:
            return await counters.gains(connection, window=window)


def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console
