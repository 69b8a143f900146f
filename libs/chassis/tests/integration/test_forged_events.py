"""A fact arrives only by its producer's own subject into its producer's stream: an event whose
type names another producer (`notes.note_written` published on `bazaar.burster.counted`) is a
forgery and is dead-lettered, never applied (issue 8, item 3)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client
from sqlalchemy import select

from bazaar_chassis import Event, ServiceSettings, create_app
from bazaar_chassis.testing import eventually, running_app
from bazaar_platform.nats_server import NatsServer

from .conftest import SINK, applied, last_dead_letter, on_note_written

SINK_OF_TWO = dataclasses.replace(
    SINK, handlers={"notes.note_written": on_note_written, "burster.counted": on_note_written}
)


@pytest.fixture
async def raw(nats_server: NatsServer) -> AsyncIterator[Client]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()


def note(key: str) -> Event:
    return Event(
        type="notes.note_written.v1", subject=key, sequence=1, data={"text": key}, source="/t"
    )


async def test_an_event_of_another_producer_is_dead_lettered_and_never_applied(
    service_settings: ServiceSettings, raw: Client, nats_server: NatsServer
) -> None:
    js = raw.jetstream()
    consumer = create_app(SINK_OF_TWO, service_settings)
    async with running_app(consumer):
        forged = note("forged")
        await js.publish("bazaar.burster.counted", forged.to_json())  # burster's stream
        await js.publish("bazaar.notes.note_written", note("genuine").to_json())

        dead = await eventually(
            lambda: last_dead_letter(nats_server.url),
            message="the forgery was not dead-lettered",
        )
        assert dead.headers is not None
        assert "only its producer's own subject and stream" in dead.headers["Bazaar-Error"]
        assert dead.headers["Bazaar-Original-Subject"] == "bazaar.burster.counted"

        async def genuine_applied() -> list[str]:
            async with consumer.state.runtime.database.snapshot() as connection:
                return list((await connection.scalars(select(applied.c.key))).all())

        assert await eventually(genuine_applied) == ["genuine"]
