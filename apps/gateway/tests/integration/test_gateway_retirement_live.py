"""Retiring a major at the gateway, in front of the real pricing service: refused while a caller
still uses it (naming who, and how much), accepted once it has been idle, and afterwards the
major answers 404 naming the live majors while the default route moves on to the next one."""

from __future__ import annotations

import uuid

import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_pricing.service import build_app as build_pricing

from .conftest import Platform


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("identity", "pricing")


async def test_a_major_is_retired_once_nobody_calls_it_then_answers_404_naming_the_live_ones(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    merch = {"Authorization": f"Bearer {await platform.token('merch@bazaar.test')}"}
    admin = {"Authorization": f"Bearer {await platform.token('admin@bazaar.test')}"}
    sku = f"R-{uuid.uuid4().hex[:6]}"
    settings = service_settings.model_copy(
        update={"instance_id": "pricing-r", "data_dir": service_settings.data_dir / "pricing"}
    )
    retire = f"{platform.url}/gateway/1/retired-majors/pricing/1"
    async with serving(build_pricing, settings):
        await platform.routes_to("pricing")
        put = await platform.http.put(
            f"{platform.url}/pricing/1/prices/{sku}",
            json={"amount": 500, "currency": "USD"},
            headers=merch,
        )
        assert put.status == 200, await put.text()

        async with platform.http.put(retire, json={"idle_seconds": 60}, headers=admin) as refused:
            assert refused.status == 409
            detail = (await refused.json())["detail"]
            assert "pricing v1 still receives traffic: 1 requests" in detail, detail
            assert "merch@bazaar.test (1)" in detail, detail
        async with platform.http.put(retire, json={"idle_seconds": 60}, headers=merch) as denied:
            assert denied.status == 403  # only administrators retire majors

        async def idle_for_a_moment() -> bool:
            async with platform.http.put(
                retire, json={"idle_seconds": 0.5}, headers=admin
            ) as reply:
                return reply.status == 200 and (await reply.json())["live_majors"] == [2]

        await eventually(idle_for_a_moment, timeout=10, message="v1 was never retired")

        async with platform.http.get(
            f"{platform.url}/pricing/1/prices/{sku}", headers=merch
        ) as gone:
            assert gone.status == 404
            assert gone.content_type == "application/problem+json"
            assert (await gone.json())["detail"] == "pricing v1 is retired; live majors: v2"
        async with platform.http.get(
            f"{platform.url}/pricing/prices/{sku}?version=1", headers=merch
        ) as gone_too:
            assert gone_too.status == 404
        async with platform.http.get(
            f"{platform.url}/pricing/prices/{sku}", headers=merch
        ) as default:  # the default route moved on to v2, the next live major
            assert default.status == 200
            assert (await default.json())["prices"][0]["amount"] == 500
        async with platform.http.get(
            f"{platform.url}/gateway/1/retired-majors", headers=admin
        ) as listed:
            assert (await listed.json())["items"] == [
                {"service": "pricing", "major": 1, "by": "admin@bazaar.test"}
            ]
        async with platform.http.put(
            f"{platform.url}/gateway/1/retired-majors/pricing/2", json={}, headers=admin
        ) as last:
            assert last.status == 409
            assert "only live major" in (await last.json())["detail"]
