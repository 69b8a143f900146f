"""`/console/1/services` gives each live release of a service the share of the gateway's
requests it answered over the window, as the gateway counted them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_console.service import build_app

from .conftest import FakeGatewayMetrics


def _cart(release: str) -> ServiceDefinition:
    return ServiceDefinition(
        name="cart", version=release, description="a cart release", apis={1: APIRouter()}
    )


async def test_each_release_gets_its_share_of_the_requests_the_gateway_counted(
    scraped: tuple[FakeGatewayMetrics, ServiceSettings],
) -> None:
    fake, settings = scraped
    for status in (200, 200, 500):
        fake.answer(status, 0.004)  # release 13.2.0
    fake.requests.labels("cart", "1", "13.3.0", "GET", "/cart/1/carts", "200").observe(0.01)
    old = settings.model_copy(update={"instance_id": "cart-old"})
    new = settings.model_copy(update={"instance_id": "cart-new"})
    async with (
        serving(lambda s: create_app(_cart("13.2.0"), s), old),
        serving(lambda s: create_app(_cart("13.3.0"), s), new),
        serving(build_app, settings) as console,
        served_client(console.url, ADMIN) as client,
    ):

        async def both_releases() -> list[dict[str, Any]] | None:
            reply = await client.get("/console/1/services", params={"window": 300})
            assert reply.status_code == 200, reply.text
            carts = [s for s in reply.json()["items"] if s["name"] == "cart"]
            releases: list[dict[str, Any]] = carts[0]["releases"] if carts else []
            return releases if len(releases) == 2 else None

        releases = await eventually(both_releases, message="the registry never listed both")
    shares = {r["release"]: (r["requests"], r["traffic_share"]) for r in releases}
    assert shares == {"13.2.0": (3, 0.75), "13.3.0": (1, 0.25)}
