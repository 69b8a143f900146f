"""Versions at the gateway, in front of the real pricing service (majors 1 and 2, 1 deprecated):
a disagreeing path major and `?version=` are a 400, every forwarded reply names the release that
served it, the deprecated major says so with its sunset and successor, and the metrics count
requests per service, major and release."""

from __future__ import annotations

import uuid
from importlib.metadata import version

import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import serving
from bazaar_pricing.service import build_app as build_pricing

from .conftest import OPERATIONS_TOKEN, Platform

RELEASE = version("bazaar-pricing")


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("identity", "pricing")


async def test_versions_are_chosen_without_ambiguity_and_every_reply_says_what_served_it(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    merch = await platform.token("merch@bazaar.test")
    sku = f"V-{uuid.uuid4().hex[:6]}"
    settings = service_settings.model_copy(
        update={"instance_id": "pricing-1", "data_dir": service_settings.data_dir / "pricing"}
    )
    async with serving(build_pricing, settings):
        await platform.routes_to("pricing")
        auth = {"Authorization": f"Bearer {merch}"}
        put = await platform.http.put(
            f"{platform.url}/pricing/1/prices/{sku}",
            json={"amount": 1299, "currency": "USD"},
            headers=auth,
        )
        assert put.status == 200, await put.text()

        for path in (f"/pricing/1/prices/{sku}", f"/pricing/prices/{sku}?version=1"):
            async with platform.http.get(platform.url + path, headers=auth) as reply:
                assert reply.status == 200
                assert reply.headers["Bazaar-Served-By"] == f"pricing/{RELEASE}"
                assert reply.headers["Deprecation"].startswith("@")
                assert reply.headers["Sunset"].endswith(" GMT")
                assert reply.headers["Link"] == (
                    f'</pricing/2/prices/{sku}>; rel="successor-version"'
                ), path
        async with platform.http.get(f"{platform.url}/pricing/2/prices/{sku}", headers=auth) as v2:
            assert v2.status == 200
            assert v2.headers["Bazaar-Served-By"] == f"pricing/{RELEASE}"
            assert "Deprecation" not in v2.headers
            assert "Sunset" not in v2.headers
        async with platform.http.get(
            f"{platform.url}/pricing/2/prices/{sku}?version=1", headers=auth
        ) as conflict:
            assert conflict.status == 400
            assert conflict.content_type == "application/problem+json"
            assert "path names major 2 and ?version= names 1" in (await conflict.json())["detail"]
            assert "Bazaar-Served-By" not in conflict.headers  # the gateway answered itself
        async with platform.http.get(
            f"{platform.url}/pricing/2/prices/NOPE-{sku}", headers=auth
        ) as missing:  # a service's own problem is forwarded and named too
            assert missing.status == 404
            assert missing.headers["Bazaar-Served-By"] == f"pricing/{RELEASE}"

    async with platform.http.get(
        f"{platform.url}/metrics", headers={"Authorization": f"Bearer {OPERATIONS_TOKEN}"}
    ) as scraped:
        metrics = await scraped.text()
    counted = {
        line.split("{", 1)[1].rsplit("}", 1)[0]  # route templates hold braces
        for line in metrics.splitlines()
        if line.startswith("bazaar_gateway_request_duration_seconds_count{")
    }
    for major, status in (("1", "200"), ("2", "200"), ("2", "404")):
        assert any(
            'service="pricing"' in labels
            and f'major="{major}"' in labels
            and f'release="{RELEASE}"' in labels
            and f'status="{status}"' in labels
            for labels in counted
        ), (major, status, counted)
