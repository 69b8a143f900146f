"""The console's test doubles: a stand-in for the gateway's `/metrics`, served on a free port,
and the settings of a console that scrapes it with the operations token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from prometheus_client import generate_latest

from bazaar_chassis import ServiceSettings
from bazaar_gateway.state import GatewayMetrics

TOKEN = "scrape-token"


class FakeGatewayMetrics:
    """A stand-in gateway `/metrics`: the gateway's own histogram (so a renamed label fails
    here), observed by the test."""

    def __init__(self) -> None:
        metrics = GatewayMetrics()
        self.registry, self.requests = metrics.registry, metrics.requests
        self.scrapes_without_token = 0

    def answer(
        self, status: int, seconds: float, *, route: str = "/cart/1/carts/{cart_id}"
    ) -> None:
        self.requests.labels("cart", "1", "13.2.0", "GET", route, str(status)).observe(seconds)

    async def metrics(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.scrapes_without_token += 1
            return web.Response(status=401)
        return web.Response(body=generate_latest(self.registry), content_type="text/plain")


def scraping(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch, gateway_url: str
) -> ServiceSettings:
    """`settings` for a console that scrapes the gateway at `gateway_url` with the token."""
    monkeypatch.setenv("BAZAAR_OPERATIONS_TOKEN", TOKEN)
    return settings.model_copy(update={"gateway_url": gateway_url})


@asynccontextmanager
async def serving_metrics(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """`handler` as `/metrics` on a free loopback port, until the block ends; yields its URL."""
    app = web.Application()
    app.router.add_get("/metrics", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[FakeGatewayMetrics, str]]:
    fake = FakeGatewayMetrics()
    async with serving_metrics(fake.metrics) as url:
        yield fake, url


@pytest.fixture
def scraped(
    gateway: tuple[FakeGatewayMetrics, str],
    service_settings: ServiceSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[FakeGatewayMetrics, ServiceSettings]:
    """The stand-in gateway, and the settings of a console that scrapes it."""
    fake, url = gateway
    return fake, scraping(service_settings, monkeypatch, url)
