"""The cart in-process on real NATS and a real database, with a tiny real HTTP stand-in for the
gateway's routes it calls (token, inventory stock, catalog product), and a publisher of the
events it consumes, as promotion and order would publish them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
import pytest
from aiohttp import web
from nats.js import JetStreamContext

from bazaar_cart.service import build_app
from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.testing import identity_headers, running_app
from bazaar_chassis.testing.producing import add_streams
from bazaar_platform.nats_server import NatsServer

SERVICE_TOKEN = "cart-service-token"
ANN = Caller(subject="user-ann", kind="user", organization="public", roles=("customer",))
BOB = Caller(subject="user-bob", kind="user", organization="public", roles=("customer",))
GUEST = Caller(subject="guest", kind="guest", organization="public", roles=("guest",))
ORDER = Caller(
    subject="service:order", kind="service", organization="bazaar", roles=("service:order",)
)


def as_(caller: Caller, token: str | None = None) -> dict[str, str]:
    """Headers of a request the gateway forwards for `caller` (with a guest cart's token)."""
    headers = identity_headers(caller)
    if token is not None:
        headers["Bazaar-Cart-Token"] = token
    return headers


def problem(status: int, slug: str, detail: str, **extra: str) -> web.Response:
    body = {"type": f"https://bazaar.dev/problems/{slug}", "status": status, "detail": detail}
    return web.json_response({**body, **extra}, status=status)


@dataclass
class Upstream:
    """What the cart calls through the gateway: identity's token, inventory, the catalog."""

    stock: dict[str, int] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    withdrawn: dict[str, str] = field(default_factory=dict)  # sku -> product status
    unregistered: str = "NO-CATALOG-1"  # a SKU whose lookup meets the gateway's 404
    calls: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)

    def product(
        self, sku: str, *, name: str, price: int, stock: int, categories: list[str]
    ) -> None:
        self.products[sku] = {
            "sku": sku,
            "name": name,
            "price": {"amount": price, "currency": "USD"},
            "available": stock,
            "in_stock": stock > 0,
            "description": "",
            "categories": categories,
            "inventory_synced": False,
        }
        self.stock[sku] = stock

    def app(self) -> web.Application:
        async def token(request: web.Request) -> web.Response:
            body = await request.json()
            assert body["client_id"] == "cart"
            return web.json_response({"access_token": SERVICE_TOKEN, "expires_in": 300})

        async def stock(request: web.Request) -> web.Response:
            self.calls.append((request.path, request.headers.get("Authorization")))
            sku = request.match_info["sku"]
            if sku not in self.stock:
                return problem(404, "sku-not-stocked", f"{sku} is not stocked")
            return web.json_response({"sku": sku, "available": self.stock[sku]})

        async def product(request: web.Request) -> web.Response:
            self.calls.append((request.path, request.headers.get("Authorization")))
            sku = request.match_info["sku"]
            if sku in self.withdrawn:
                status = self.withdrawn[sku]
                return problem(404, "item-not-listed", f"it is {status}", product_status=status)
            if sku == self.unregistered:  # the gateway's own 404: no catalog instance
                return problem(404, "unknown-service", "no service named 'catalog'")
            if sku not in self.products:
                return problem(404, "item-not-listed", "unknown SKU")
            return web.json_response(self.products[sku])

        app = web.Application()
        app.router.add_post("/identity/1/token", token)
        app.router.add_get("/inventory/1/stock/{sku}", stock)
        app.router.add_get("/catalog/1/products/{sku}", product)
        return app


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    stand_in = Upstream()
    runner = web.AppRunner(stand_in.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield stand_in, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def shop(
    upstream: tuple[Upstream, str], service_settings: ServiceSettings, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Upstream]]:
    """The cart on SQLite, then again on PostgreSQL, calling the stand-in as its gateway."""
    stand_in, url = upstream
    settings = service_settings.model_copy(
        update={"database_url": database_url, "gateway_url": url}
    )
    async with running_app(build_app(settings), caller=ANN) as client:
        yield client, stand_in


class Producers:
    """Publishes facts as promotion, order and product do (CloudEvents on their streams)."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def publish(self, type: str, subject: str, sequence: int, data: dict[str, Any]) -> None:
        event = Event(type=type, subject=subject, sequence=sequence, data=data, source="/test/0")
        await self.js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
        )


@pytest.fixture
async def producers(nats_server: NatsServer) -> AsyncIterator[Producers]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "promotion", "order", "product")
    yield Producers(js)
    await client.close()
