"""A database failure that passes with the moment (the database restarting, a deadlock with
another instance) is waited out: a consumer tries its batch again without spending the events'
deliveries or letting JetStream redeliver them, and a route answers 503 with `Retry-After`.
What asyncpg raises when it cannot connect at all counts as such a failure."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from bazaar_chassis import Event, ServiceDefinition, ServiceSettings, UnitOfWork, create_app
from bazaar_chassis import consumer as consumer_module
from bazaar_chassis.database import is_passing
from bazaar_chassis.envelope import stream_name
from bazaar_chassis.testing import assert_problem, consumed, eventually, running_app
from bazaar_platform.nats_server import NatsServer

from .conftest import AppFactory


def notes_consumer(
    name: str,
    handler: Callable[[Event, UnitOfWork], Awaitable[None]],
    settings: ServiceSettings,
    tmp_path: Path,
    *,
    max_deliver: int,
) -> FastAPI:
    """A service that consumes the testbed's notes with `handler` alone."""
    definition = ServiceDefinition(
        name=name,
        version="1.0.0",
        description=f"consumes notes ({name})",
        apis={},
        handlers={"notes.note_written": handler},
    )
    update = {"data_dir": tmp_path / name, "consumer_max_deliver": max_deliver}
    return create_app(definition, settings.model_copy(update=update))


class DatabaseRestarting:
    """A handler whose database refuses connections until `outage` seconds after the first
    event, as a restarting PostgreSQL does."""

    def __init__(self, outage: float) -> None:
        self.outage = outage
        self.back_at: float | None = None
        self.attempts = 0
        self.applied: list[str] = []

    async def __call__(self, event: Event, uow: UnitOfWork) -> None:
        self.attempts += 1
        if self.back_at is None:
            self.back_at = time.monotonic() + self.outage
        if time.monotonic() < self.back_at:
            raise await connecting(host="127.0.0.1", port=1)  # refused: a server not up yet
        self.applied.append(event.subject)


async def test_a_consumer_waits_out_an_unreachable_database_without_spending_deliveries(
    notes_app: AppFactory,
    service_settings: ServiceSettings,
    nats_server: NatsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An ack wait the outage outlasts 2.5 times over (the messages are kept every half second).
    monkeypatch.setattr(consumer_module, "ACK_WAIT_SECONDS", 2.0)
    handler = DatabaseRestarting(outage=5.0)
    consumer = notes_consumer("patient", handler, service_settings, tmp_path, max_deliver=2)
    async with running_app(notes_app()) as client, running_app(consumer):
        assert (await client.put("/notes/1/notes/a", json={"text": "a"})).status_code == 201

        async def first_batch_failing() -> bool:
            return handler.attempts > 0

        await eventually(first_batch_failing, message="the first note never reached the handler")
        # These two arrive while the batch of the first is waited out: they wait behind it.
        for key in ("b", "c"):
            assert (
                await client.put(f"/notes/1/notes/{key}", json={"text": key})
            ).status_code == 201

        async def all_applied() -> bool:
            return sorted(handler.applied) == ["a", "b", "c"]

        await eventually(all_applied, timeout=20, message="the notes were never applied")
        raw = await nats.connect(nats_server.url)
        try:
            info = await raw.jetstream().consumer_info(stream_name("notes"), "patient")
        finally:
            await raw.close()
    assert handler.attempts > 3  # it was tried again while the database was away
    assert consumed(consumer, "retried") >= handler.attempts - 3
    assert info.delivered.consumer_seq == 3  # each event delivered once: never taken back
    assert consumed(consumer, "failed") == 0
    assert consumed(consumer, "dead_lettered") == 0
    assert consumed(consumer, "processed") == 3


class PoisonThenOutage:
    """A handler that always fails on the note `poison` (a bug, not the database) and whose
    database then refuses connections for `outage` seconds: the batch holding the poison is
    redone one event at a time while the database is away."""

    def __init__(self, outage: float) -> None:
        self.outage = outage
        self.back_at: float | None = None

    async def __call__(self, event: Event, uow: UnitOfWork) -> None:
        if self.back_at is not None and time.monotonic() < self.back_at:
            raise await connecting(host="127.0.0.1", port=1)
        if event.subject == "poison":
            if self.back_at is None:
                self.back_at = time.monotonic() + self.outage
            raise ValueError("a handler's bug")


async def test_an_outage_while_a_batch_is_redone_one_by_one_spends_no_delivery(
    notes_app: AppFactory, service_settings: ServiceSettings, tmp_path: Path
) -> None:
    handler = PoisonThenOutage(outage=2.0)
    # An event is dead-lettered at its first failure: one counted for the outage would lose it.
    consumer = notes_consumer("strict", handler, service_settings, tmp_path, max_deliver=1)
    async with running_app(notes_app()) as client:
        for key in ("a", "poison"):  # both in the stream before the consumer pulls: one batch
            assert (
                await client.put(f"/notes/1/notes/{key}", json={"text": key})
            ).status_code == 201
        async with running_app(consumer):

            async def settled() -> bool:
                return consumed(consumer, "dead_lettered") + consumed(consumer, "processed") >= 2

            await eventually(settled, timeout=20, message="the batch never settled")
    assert consumed(consumer, "processed") == 1  # `a`, committed: not dead-lettered for the outage
    assert consumed(consumer, "retried") >= 1  # the one-by-one pass waited the outage out
    assert consumed(consumer, "dead_lettered") == 1  # the poison alone, for its own failure
    assert consumed(consumer, "failed") == 1


async def test_a_write_whose_database_connection_was_cut_answers_503_and_the_next_succeeds(
    postgres_url: str, service_settings: ServiceSettings
) -> None:
    router = APIRouter()

    @router.put("/counters/{key}")
    async def count(key: str, cut: bool = False) -> dict[str, str]:
        async with app.state.runtime.unit_of_work() as uow:
            if cut:  # the server ends this connection mid-transaction, as a failover does
                await uow.connection.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            await uow.connection.execute(text("SELECT 1"))
        return {"key": key}

    definition = ServiceDefinition(
        name="counters", version="1.0.0", description="writes", apis={1: router}
    )
    app = create_app(definition, service_settings.model_copy(update={"database_url": postgres_url}))
    async with running_app(app) as client:
        assert (await client.put("/counters/1/counters/a")).status_code == 200
        cut = await client.put("/counters/1/counters/a", params={"cut": "true"})
        problem = assert_problem(cut, 503, "retry shortly")
        assert problem["type"].endswith("/database-unavailable")
        assert cut.headers["retry-after"] == "1"
        assert (await client.put("/counters/1/counters/a")).status_code == 200


async def connecting(**where: Any) -> BaseException:
    """What asyncpg raises when it cannot reach a server at `where`."""
    try:
        await asyncpg.connect(user="bazaar", database="bazaar", timeout=5, **where)
    except Exception as exc:
        return exc
    raise AssertionError(f"a server answered at {where}")


@pytest.mark.parametrize(
    "where",
    [
        {"host": "127.0.0.1", "port": 1},  # refused: nothing listens on port 1
        {"host": "/nonexistent-socket-dir"},  # no socket file: the server is stopped
    ],
    ids=["refused", "no-socket"],
)
async def test_the_drivers_errors_while_connecting_are_passing(where: dict[str, Any]) -> None:
    failure = await connecting(**where)
    assert isinstance(failure, OSError)  # unwrapped, as SQLAlchemy lets them through
    assert is_passing(failure)
