"""The outbox never loses an event and never duplicates one in the stream; the inbox applies a
redelivered event once; a poison event ends in the dead-letter stream without blocking others."""

from __future__ import annotations

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import select

from bazaar_chassis.outbox import outbox_table
from bazaar_chassis.testing import EventProbe, eventually, running_app
from bazaar_platform.nats_server import NatsServer

from .conftest import AppFactory, applied, last_dead_letter


async def stream_messages(nats_server: NatsServer, stream: str) -> int:
    client = await nats.connect(nats_server.url)
    try:
        info = await client.jetstream().stream_info(stream)
        return int(info.state.messages)
    except NotFoundError:
        return 0
    finally:
        await client.close()


async def test_a_write_accepted_while_the_bus_is_down_is_published_once_after_a_restart(
    notes_app: AppFactory, nats_server: NatsServer
) -> None:
    nats_server.stop()
    first = notes_app()
    async with running_app(first) as client:
        reply = await client.put("/notes/1/notes/a", json={"text": "written while NATS is down"})
        assert reply.status_code == 201
        assert await first.state.runtime.relay.backlog() == 1
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
    # The process is gone without having published: the event lives only in its outbox.
    nats_server.start()
    second = notes_app()
    async with running_app(second):

        async def stream_has_the_event() -> bool:
            return await stream_messages(nats_server, "NOTES") == 1

        await eventually(stream_has_the_event, message="the outbox row was not published")
        await eventually(
            lambda: _backlog_is_empty(second), message="the published row was not removed"
        )
    assert await stream_messages(nats_server, "NOTES") == 1


async def _backlog_is_empty(app: object) -> bool:
    return await app.state.runtime.relay.backlog() == 0  # type: ignore[attr-defined, no-any-return]


async def test_a_crash_after_publish_but_before_the_row_is_removed_does_not_duplicate_the_event(
    notes_app: AppFactory, nats_server: NatsServer
) -> None:
    nats_server.stop()
    first = notes_app()
    async with running_app(first) as client:
        await client.put("/notes/1/notes/b", json={"text": "published twice?"})
        async with first.state.runtime.database.snapshot() as connection:
            row = (await connection.execute(select(outbox_table))).one()
    nats_server.start()
    # What the relay did before "crashing": the publish reached the stream, the delete did not.
    raw = await nats.connect(nats_server.url)
    await raw.jetstream().publish(row.subject, row.payload, headers={"Nats-Msg-Id": row.event_id})
    await raw.close()

    second = notes_app()
    async with running_app(second):
        await eventually(lambda: _backlog_is_empty(second), message="the row was not relayed")
    assert await stream_messages(nats_server, "NOTES") == 1


async def test_an_event_delivered_twice_changes_the_consumer_state_once(
    notes_app: AppFactory, sink_app: AppFactory, nats_server: NatsServer, event_probe: EventProbe
) -> None:
    producer, consumer = notes_app(), sink_app()
    async with running_app(producer) as client, running_app(consumer):
        await client.put("/notes/1/notes/c", json={"text": "once"})
        event = await event_probe.expect("notes.note_written", subject="c")
        # Re-publish the very same event under another message id: JetStream cannot dedupe it.
        raw = await nats.connect(nats_server.url)
        await raw.jetstream().publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": "replayed"}
        )
        await client.put("/notes/1/notes/d", json={"text": "marker after the duplicate"})
        await raw.close()

        async def marker_applied() -> bool:
            async with consumer.state.runtime.database.snapshot() as connection:
                return bool(
                    await connection.scalar(select(applied.c.times).where(applied.c.key == "d"))
                )

        await eventually(marker_applied, message="the consumer did not catch up")
        async with consumer.state.runtime.database.snapshot() as connection:
            times = await connection.scalar(select(applied.c.times).where(applied.c.key == "c"))
        assert times == 1


async def test_a_poison_event_is_dead_lettered_with_its_error_and_does_not_block_the_others(
    notes_app: AppFactory, sink_app: AppFactory, nats_server: NatsServer
) -> None:
    producer, consumer = notes_app(), sink_app(consumer_max_deliver=2)
    async with running_app(producer) as client, running_app(consumer):
        await client.put("/notes/1/notes/p", json={"text": "poison"})
        await client.put("/notes/1/notes/q", json={"text": "healthy"})

        dead = await eventually(
            lambda: last_dead_letter(nats_server.url),
            timeout=15,
            message="nothing was dead-lettered",
        )
        assert dead.headers is not None
        assert "can never be applied" in dead.headers["Bazaar-Error"]
        assert dead.headers["Bazaar-Original-Subject"] == "bazaar.notes.note_written"
        async with consumer.state.runtime.database.snapshot() as connection:
            keys = (await connection.scalars(select(applied.c.key))).all()
        assert keys == ["q"]
