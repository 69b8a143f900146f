"""The console's test doubles: a stand-in for the gateway's `/metrics`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from prometheus_client import generate_latest

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


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[FakeGatewayMetrics, str]]:
    fake = FakeGatewayMetrics()
    app = web.Application()
    app.router.add_get("/metrics", fake.metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield fake, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()
