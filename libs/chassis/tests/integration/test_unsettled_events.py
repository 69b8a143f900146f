"""JetStream never gives up on an event on its own: an event that is not settled within its
deliveries ends in the dead-letter stream, however it came to be unsettled. With a server-side
delivery limit it would be skipped without a trace once dead-lettering it had failed, or once
the processes applying it had stopped that many times."""

from __future__ import annotations

import nats
import pytest
from nats.aio.msg import Msg
from sqlalchemy import select

from bazaar_chassis.testing import consumed, eventually, running_app
from bazaar_platform.nats_server import NatsServer
from bazaar_platform.provisioning import DLQ_STREAM, dead_letter_stream

from .conftest import AppFactory, applied, last_dead_letter


async def test_a_poison_event_whose_dead_lettering_failed_is_dead_lettered_once_it_can_be(
    notes_app: AppFactory, sink_app: AppFactory, nats_server: NatsServer
) -> None:
    raw = await nats.connect(nats_server.url)
    try:
        await raw.jetstream().delete_stream(DLQ_STREAM)  # the operator's mistake, for a while
        consumer = sink_app(consumer_max_deliver=1)
        async with running_app(notes_app()) as client, running_app(consumer):
            await client.put("/notes/1/notes/p", json={"text": "poison"})

            async def failed_again_and_again() -> bool:
                return consumed(consumer, "failed") >= 3  # one delivery more than it is allowed

            await eventually(failed_again_and_again, message="the event was given up on")
            assert await last_dead_letter(nats_server.url) is None
            await raw.jetstream().add_stream(dead_letter_stream())
            dead = await eventually(
                lambda: last_dead_letter(nats_server.url),
                message="the event never reached the dead letters",
            )
    finally:
        await raw.close()
    assert dead.headers is not None
    assert dead.headers["Bazaar-Original-Subject"] == "bazaar.notes.note_written"
    assert consumed(consumer, "dead_lettered") == 1


async def test_an_event_whose_appliers_stopped_every_time_is_dead_lettered_not_applied(
    notes_app: AppFactory, sink_app: AppFactory, nats_server: NatsServer
) -> None:
    async with running_app(notes_app()) as client:
        first = sink_app(consumer_max_deliver=2)
        async with running_app(first):  # binds the durable, then goes away

            async def bound() -> bool:
                return "notes" in first.state.runtime.consumer.bound

            await eventually(bound, message="the sink never bound its durable")
        await client.put("/notes/1/notes/c", json={"text": "taken, never settled"})
        raw = await nats.connect(nats_server.url)
        try:  # two appliers took it and stopped before settling it
            pull = await raw.jetstream().pull_subscribe_bind("sink", stream="NOTES")
            for _ in range(2):
                (message,) = await pull.fetch(1, timeout=5)
                await message.nak()
        finally:
            await raw.close()
        again = sink_app(consumer_max_deliver=2)
        async with running_app(again):
            dead = await eventually(
                lambda: last_dead_letter(nats_server.url),
                message="the event was skipped without a trace",
            )
            async with again.state.runtime.database.snapshot() as connection:
                keys = (await connection.scalars(select(applied.c.key))).all()
    assert dead.headers is not None
    assert "not settled in 2 deliveries" in dead.headers["Bazaar-Error"]
    assert dead.headers["Bazaar-Deliveries"] == "3"
    assert keys == []


async def test_a_dead_letter_whose_termination_was_lost_is_kept_once(
    notes_app: AppFactory,
    sink_app: AppFactory,
    nats_server: NatsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminations: list[Msg] = []

    async def lost_once(message: Msg) -> None:  # the copy landed, the `term` did not
        terminations.append(message)
        if len(terminations) == 1:
            await message.nak()  # the server delivers it again at once, as after ack_wait
        else:
            await real_term(message)

    real_term = Msg.term
    monkeypatch.setattr(Msg, "term", lost_once)
    consumer = sink_app(consumer_max_deliver=1)
    async with running_app(notes_app()) as client, running_app(consumer):
        await client.put("/notes/1/notes/p", json={"text": "poison"})

        async def terminated() -> bool:
            return len(terminations) == 2

        await eventually(terminated, message="the redelivered dead letter was never settled")
    raw = await nats.connect(nats_server.url)
    try:
        kept = (await raw.jetstream().stream_info(DLQ_STREAM)).state.messages
    finally:
        await raw.close()
    assert consumed(consumer, "dead_lettered") == 2
    assert kept == 1
