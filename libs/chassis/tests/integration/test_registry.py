"""Registry: an instance announces itself with what it serves, beats, and leaves when stopped."""

from __future__ import annotations

from bazaar_chassis import ServiceSettings, create_app
from bazaar_chassis.bus import Bus
from bazaar_chassis.testing import eventually, serving
from bazaar_platform.instances import live_instances
from bazaar_platform.nats_server import NatsServer

from .conftest import NOTES, SINK


async def test_an_instance_registers_what_it_serves_and_deregisters_when_it_stops(
    service_settings: ServiceSettings, nats_server: NatsServer
) -> None:
    bus = Bus(url=nats_server.url, name="observer")
    await bus.start()
    await bus.wait_connected(5)
    try:
        assert "notes" not in {i.service for i in await live_instances(bus)}
        async with serving(lambda s: create_app(NOTES, s), service_settings) as served:
            instances = await eventually(lambda: live_instances(bus), timeout=5)
            (notes,) = instances
            assert (notes.service, notes.version, notes.majors) == ("notes", "1.0.0", [1])
            assert notes.url == served.url
            assert notes.openapi_url == f"{served.url}/openapi.json"
            assert notes.publishes == ["notes.note_written.v1"]
            first_beat = notes.heartbeat_at

            async def beat_again() -> bool:
                (again,) = await live_instances(bus)
                return again.heartbeat_at > first_beat

            await eventually(beat_again, timeout=5, message="no second heartbeat")

        async def gone() -> bool:
            return await live_instances(bus) == []

        await eventually(gone, timeout=5, message="the instance stayed registered")
    finally:
        await bus.close()


async def test_a_consumer_registers_the_events_it_consumes(
    service_settings: ServiceSettings, nats_server: NatsServer
) -> None:
    bus = Bus(url=nats_server.url, name="observer")
    await bus.start()
    await bus.wait_connected(5)
    try:
        async with serving(lambda s: create_app(SINK, s), service_settings):
            (sink,) = await eventually(lambda: live_instances(bus), timeout=5)
            assert sink.consumes == ["notes.note_written"]
    finally:
        await bus.close()
