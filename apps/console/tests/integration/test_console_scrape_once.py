"""Reads that arrive while the console is scraping wait for that scrape instead of each scraping
the gateway and every instance again: a burst of reads costs one scrape, not one per read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_console.service import build_app
from bazaar_console.settings import ConsoleSettings
from bazaar_console.state import Console

from .conftest import FakeGatewayMetrics, scraping, serving_metrics


class HeldGateway:
    """The gateway's `/metrics`, counting its scrapes and answering only while `open` is set."""

    def __init__(self) -> None:
        self.fake = FakeGatewayMetrics()
        self.scrapes = 0
        self.open = asyncio.Event()
        self.open.set()

    async def metrics(self, request: web.Request) -> web.Response:
        self.scrapes += 1
        await self.open.wait()
        return await self.fake.metrics(request)


@pytest.fixture
async def held() -> AsyncIterator[tuple[HeldGateway, str]]:
    gateway = HeldGateway()
    async with serving_metrics(gateway.metrics) as url:
        yield gateway, url
        gateway.open.set()


async def test_reads_arriving_during_a_scrape_wait_for_it_instead_of_scraping_again(
    held: tuple[HeldGateway, str],
    service_settings: ServiceSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway, url = held
    monkeypatch.setenv("BAZAAR_CONSOLE_SCRAPE_SECONDS", "3600")  # the job scrapes at start only
    settings = scraping(service_settings, monkeypatch, url)
    gateway.fake.answer(200, 0.004)
    async with serving(build_app, settings) as served:
        started: Console = served.app.state.console

        async def started_scraped() -> bool:
            return started.last_scrape > 0

        await eventually(started_scraped, message="the console's own job never scraped")
        gateway.scrapes = 0
        gateway.open.clear()
        console = Console(ConsoleSettings())  # no job of its own: only these reads scrape
        runtime = served.app.state.runtime
        reads = [asyncio.create_task(console.fresh(runtime)) for _ in range(5)]

        async def first_scrape_under_way() -> bool:
            return gateway.scrapes == 1

        await eventually(first_scrape_under_way, message="no read scraped the gateway")
        gateway.open.set()
        await asyncio.gather(*reads)
    assert gateway.scrapes == 1
    assert console.last_scrape > 0
    assert console.last_error is None
