"""SLOs from the gateway's metrics, scraped over time: the numbers are the requests' own,
refusals included, and a restarted console counts nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from bazaar_chassis import Caller, ServiceSettings
from bazaar_chassis.testing import serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_console.service import build_app

from .conftest import FakeGatewayMetrics

SHOPPER = Caller(subject="u-1", kind="user", organization="public", roles=("customer",))


def _row(report: dict[str, Any], route: str) -> dict[str, Any]:
    return next(r for r in report["routes"] if r["route"] == route)


async def test_slo_counts_requests_availability_and_percentiles_per_release_and_route(
    scraped: tuple[FakeGatewayMetrics, ServiceSettings],
) -> None:
    fake, settings = scraped
    for _ in range(6):
        fake.answer(200, 0.004)
    fake.answer(500, 0.2)
    fake.answer(404, 0.002)
    fake.answer(403, 0.0005, route="(refused)")
    async with serving(build_app, settings) as console, served_client(console.url, ADMIN) as client:
        first = (await client.get("/console/1/slo", params={"window": 300})).json()
    row = _row(first, "/cart/1/carts/{cart_id}")
    assert (row["service"], row["major"], row["release"]) == ("cart", "1", "13.2.0")
    assert row["requests"] == 8
    assert row["by_status"] == {"200": 6, "404": 1, "500": 1}
    assert row["availability"] == pytest.approx(7 / 8)
    assert row["error_rate"] == pytest.approx(1 / 8)
    assert row["client_error_rate"] == pytest.approx(1 / 8)
    assert 2.5 <= row["p50_ms"] <= 5.0  # inside the bucket the 200s fell in
    assert 100 <= row["p99_ms"] <= 250
    assert _row(first, "(refused)")["by_status"] == {"403": 1}
    (release,) = [r for r in first["releases"] if r["service"] == "cart"]
    assert release["requests"] == 9

    fake.answer(200, 0.004)  # one more, then the console restarts on the same database
    async with serving(build_app, settings) as console, served_client(console.url, ADMIN) as client:
        again = (await client.get("/console/1/slo", params={"window": 300})).json()
    assert _row(again, "/cart/1/carts/{cart_id}")["requests"] == 9
    assert fake.scrapes_without_token == 0


async def test_the_console_answers_operators_and_admins_only(
    service_settings: ServiceSettings,
) -> None:
    async with serving(build_app, service_settings) as console:
        async with served_client(console.url, SHOPPER) as client:
            refused = await client.get("/console/1/slo")
        async with served_client(console.url, ADMIN) as client:
            page = await client.get("/console/1/ui")
    assert refused.status_code == 403
    assert page.status_code == 200
    assert "Service levels" in page.text
