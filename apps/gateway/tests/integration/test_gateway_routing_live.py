"""The gateway in front of real product instances, learning them from the live registry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bazaar_chassis import ServiceSettings
from bazaar_chassis.nats_server import NatsServer
from bazaar_chassis.testing import eventually, serving
from bazaar_gateway.app import build_app
from bazaar_gateway.settings import GatewaySettings
from bazaar_product.service import build_app as build_product


@pytest.fixture
async def gateway(nats_server: NatsServer) -> AsyncIterator[str]:
    runner = web.AppRunner(build_app(GatewaySettings(nats_url=nats_server.url)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def routable(http: aiohttp.ClientSession, gateway: str, service: str) -> bool:
    async with http.get(f"{gateway}/gateway/1/services") as reply:
        return service in [s["name"] for s in (await reply.json())["items"]]


async def test_a_request_reaches_the_service_by_path_major_query_version_or_default(
    gateway: str, http: aiohttp.ClientSession, service_settings: ServiceSettings
) -> None:
    async with serving(build_product, service_settings):
        await eventually(lambda: routable(http, gateway, "product"), timeout=5)
        sku = f"G-{uuid.uuid4().hex[:6]}"
        async with http.post(
            f"{gateway}/product/1/products", json={"sku": sku, "name": "Via gateway"}
        ) as created:
            assert created.status == 201
            assert created.headers["Bazaar-Served-By"] == "product/1.0.0"
        for path in (
            f"/product/1/products/{sku}",
            f"/product/products/{sku}?version=1",
            f"/product/products/{sku}",
        ):
            async with http.get(gateway + path) as reply:
                assert reply.status == 200, path
                assert (await reply.json())["sku"] == sku


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/nothing/1/here", 404, "no service named 'nothing'"),
        ("/product/7/products", 404, "live majors: 1"),
        ("/product/products?version=x", 400, "positive integer"),
    ],
)
async def test_unroutable_requests_get_a_problem_from_the_gateway(
    gateway: str,
    http: aiohttp.ClientSession,
    service_settings: ServiceSettings,
    path: str,
    status: int,
    fragment: str,
) -> None:
    async with serving(build_product, service_settings):
        await eventually(lambda: routable(http, gateway, "product"), timeout=5)
        async with http.get(gateway + path) as reply:
            assert reply.status == status
            assert reply.content_type == "application/problem+json"
            assert fragment in (await reply.json())["detail"]


async def test_a_new_instance_takes_traffic_without_a_gateway_restart_and_a_crashed_one_stops(
    gateway: str, http: aiohttp.ClientSession, service_settings: ServiceSettings
) -> None:
    async def instances() -> list[str]:
        async with http.get(f"{gateway}/gateway/1/services") as reply:
            items = (await reply.json())["items"]
        return [i["id"] for s in items if s["name"] == "product" for i in s["instances"]]

    first_settings = service_settings.model_copy(update={"instance_id": "first"})
    second_settings = service_settings.model_copy(update={"instance_id": "second"})
    async with (
        serving(build_product, first_settings),
        serving(build_product, second_settings) as second,
    ):
        await eventually(
            lambda: _has(instances, {"first", "second"}),
            timeout=2.5,
            message="a new instance was not routable within 2 s",
        )
        await second.crash()
        # The crashed instance is still listed until its heartbeat lapses, yet no request fails:
        # a refused connection is retried once on another instance.
        for _ in range(10):
            async with http.get(f"{gateway}/product/1/products") as reply:
                assert reply.status == 200
        await eventually(
            lambda: _has(instances, {"first"}),
            timeout=10,
            message="the crashed instance was never dropped",
        )


async def _has(read: object, expected: set[str]) -> bool:
    return set(await read()) == expected  # type: ignore[operator]
