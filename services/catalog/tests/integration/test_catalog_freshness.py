"""Freshness across instances: once the catalog has acknowledged an event, the very next request
to any instance shows it — no instance answers from a copy older than an acknowledged event.

Two catalog instances share one database and compete for one durable consumer, as in `bazaar
up --instances` (M4); whichever applies an event, both must serve it. This guards the read path
against any per-process cache that could outlive an applied event (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import nats
import pytest
from nats.js import JetStreamContext

from bazaar_catalog.service import build_app
from bazaar_chassis import ServiceSettings
from bazaar_chassis.envelope import stream_name
from bazaar_chassis.testing import eventually, running_app
from bazaar_platform.nats_server import NatsServer

from .test_catalog_read_model import Producers, page_of


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    yield client.jetstream()
    await client.close()


async def acknowledged(js: JetStreamContext, *, producer: str, sequence: int) -> bool:
    """Has the catalog's durable acknowledged everything up to `sequence` of `producer`'s stream?"""
    info = await js.consumer_info(stream_name(producer), "catalog")
    return info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= sequence


@pytest.mark.each_database
async def test_after_an_event_is_acknowledged_the_next_request_to_every_instance_shows_it(
    service_settings: ServiceSettings, js: JetStreamContext
) -> None:
    producers = Producers(js)
    second = service_settings.model_copy(update={"instance_id": "second-instance"})
    async with (
        running_app(build_app(service_settings)) as first_catalog,
        running_app(build_app(second)) as second_catalog,
    ):
        await producers.category("tea", "Tea")
        await producers.product("TEA-1")
        await producers.place("tea", "TEA-1", 0)
        await producers.price("TEA-1", 100, seq=1)

        async def priced(amount: int) -> bool:
            items = (await page_of(first_catalog, "tea"))["items"]
            return bool(items) and items[0]["price"] == {"amount": amount, "currency": "USD"}

        await eventually(lambda: priced(100), message="the catalog never listed TEA-1")
        for seq, amount in enumerate((200, 300, 400, 500), start=2):
            await producers.price("TEA-1", amount, seq=seq)
            last = (await js.stream_info(stream_name("pricing"))).state.last_seq  # this price
            await eventually(
                partial(acknowledged, js, producer="pricing", sequence=last),
                message=f"the catalog never acknowledged price {amount}",
            )
            for instance in (first_catalog, second_catalog):  # one request each, no retry
                item = (await page_of(instance, "tea"))["items"][0]
                assert item["price"] == {"amount": amount, "currency": "USD"}
