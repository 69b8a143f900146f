"""A canary in front of two real pricing instances of different releases, weighted 80/20:
a thousand distinct callers split within a few percent of the weights, and one caller, guest or
signed in, stays on one release (as `Bazaar-Served-By` says)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import replace
from importlib.metadata import version

import aiohttp
import pytest
from fastapi import FastAPI

from bazaar_chassis import ServiceSettings, create_app
from bazaar_chassis.testing import eventually, serving
from bazaar_pricing.service import DEFINITION
from bazaar_pricing.service import build_app as build_pricing

from .conftest import Platform

STABLE = version("bazaar-pricing")
CANARY = f"{STABLE}.canary"
CALLERS = 1000


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("identity", "pricing")


def build_canary(settings: ServiceSettings) -> FastAPI:
    """The same pricing code registered as another release (what `--ref` would deploy)."""
    return create_app(replace(DEFINITION, version=CANARY), settings)


async def served_by(http: aiohttp.ClientSession, url: str, **kwargs: object) -> str:
    async with http.get(url, **kwargs) as reply:  # type: ignore[arg-type]
        assert reply.status == 404, await reply.text()  # no such price: pricing's own 404
        return reply.headers["Bazaar-Served-By"]


async def from_address(address: str, url: str) -> str:
    """One guest request from its own loopback address (a distinct caller to the gateway)."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        return await served_by(http, url)


async def open_pricing_reads_to_guests(platform: Platform, admin: str) -> None:
    _, policy = await platform.call("GET", "/gateway/1/policies", token=admin)
    rule = {
        "role": "guest",
        "organization": "*",
        "object": "/pricing/*",
        "action": "GET",
        "effect": "allow",
    }
    status, body = await platform.call(
        "PUT", "/gateway/1/policies", token=admin, json={"rules": [*policy["rules"], rule]}
    )
    assert status == 200, body


async def test_weights_split_distinct_callers_and_each_caller_stays_on_one_release(
    platform: Platform, service_settings: ServiceSettings
) -> None:
    def settings(instance_id: str, weight: int) -> ServiceSettings:
        return service_settings.model_copy(
            update={
                "instance_id": instance_id,
                "weight": weight,
                "data_dir": service_settings.data_dir / instance_id,
            }
        )

    async with (
        serving(build_pricing, settings("pricing-stable", 80)),
        serving(build_canary, settings("pricing-canary", 20)),
    ):
        await platform.routes_to("pricing")
        admin = await platform.token("admin@bazaar.test")
        await open_pricing_reads_to_guests(platform, admin)

        async def both_releases_listed() -> bool:
            _, body = await platform.call("GET", "/gateway/1/services", token=admin)
            pricing = next((s for s in body["items"] if s["name"] == "pricing"), None)
            return pricing is not None and set(pricing["versions"]) == {STABLE, CANARY}

        await eventually(both_releases_listed, timeout=10, message="the canary never registered")
        url = f"{platform.url}/pricing/1/prices/C-{uuid.uuid4().hex[:6]}"

        async def guests_may_read() -> bool:
            async with platform.http.get(url) as reply:
                return reply.status == 404

        await eventually(guests_may_read, timeout=10, message="the guest rule never applied")

        limit = asyncio.Semaphore(16)

        async def one_caller(n: int) -> str:
            async with limit:
                return await from_address(f"127.1.{n // 200}.{n % 200 + 1}", url)

        releases = Counter(await asyncio.gather(*(one_caller(n) for n in range(CALLERS))))
        assert set(releases) == {f"pricing/{STABLE}", f"pricing/{CANARY}"}
        canary_share = releases[f"pricing/{CANARY}"] / CALLERS
        assert abs(canary_share - 0.20) < 0.04, releases

        guest = {await served_by(platform.http, url) for _ in range(30)}
        assert len(guest) == 1, guest
        merch = {"Authorization": f"Bearer {await platform.token('merch@bazaar.test')}"}
        user = {await served_by(platform.http, url, headers=merch) for _ in range(30)}
        assert len(user) == 1, user
