"""The gateway in front of real product instances, learning them from the live registry."""

from __future__ import annotations

import uuid

import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_product.service import build_app as build_product

from .conftest import Platform


async def product_instances(platform: Platform, token: str) -> set[str]:
    status, body = await platform.call("GET", "/gateway/1/services", token=token)
    assert status == 200, body  # `eventually` retries until the gateway can answer
    return {i["id"] for s in body["items"] if s["name"] == "product" for i in s["instances"]}


async def test_a_request_reaches_the_service_by_path_major_query_version_or_default(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    admin = await platform.token("admin@bazaar.test")
    async with serving(build_product, service_settings):
        await platform.routes_to("product")
        sku = f"G-{uuid.uuid4().hex[:6]}"
        status, created = await platform.call(
            "POST", "/product/1/products", token=admin, json={"sku": sku, "name": "Via gateway"}
        )
        assert (status, created["sku"]) == (201, sku)
        for path in (
            f"/product/1/products/{sku}",
            f"/product/products/{sku}?version=1",
            f"/product/products/{sku}",
        ):
            status, body = await platform.call("GET", path, token=admin)
            assert (status, body["sku"]) == (200, sku), path


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/nothing/1/here", 404, "no service named 'nothing'"),
        ("/product/7/products", 404, "live majors: 1"),
        ("/product/products?version=x", 400, "positive integer"),
    ],
)
async def test_unroutable_requests_get_a_problem_from_the_gateway(
    platform: Platform, service_settings: ServiceSettings, path: str, status: int, fragment: str
) -> None:
    admin = await platform.token("admin@bazaar.test")  # only operators learn the topology
    async with serving(build_product, service_settings):
        await platform.routes_to("product")
        got, problem = await platform.call("GET", path, token=admin)
        assert got == status
        assert fragment in problem["detail"]


async def test_a_new_instance_takes_traffic_without_a_gateway_restart_and_a_crashed_one_stops(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    admin = await platform.token("admin@bazaar.test")
    first = service_settings.model_copy(update={"instance_id": "first"})
    second = service_settings.model_copy(update={"instance_id": "second"})
    async with serving(build_product, first), serving(build_product, second) as crashing:
        await eventually(
            lambda: _equals(product_instances(platform, admin), {"first", "second"}),
            timeout=2.5,
            message="a new instance was not routable within 2 s",
        )
        await crashing.crash()
        # Still listed until its heartbeat lapses, yet no request fails: a refused
        # connection is retried once on another instance.
        for _ in range(10):
            status, _ = await platform.call("GET", "/product/1/products", token=admin)
            assert status == 200
        await eventually(
            lambda: _equals(product_instances(platform, admin), {"first"}),
            timeout=10,
            message="the crashed instance was never dropped",
        )


async def _equals(value: object, expected: object) -> bool:
    return bool(await value == expected)  # type: ignore[misc]
