"""A consumer of a producer that has never started (its stream does not exist) is ready, and
binds when the producer appears: a service needs nothing from the others to start (M3)."""

from __future__ import annotations

from typing import Any

from bazaar_chassis.testing import eventually, running_app

from .conftest import AppFactory


async def test_a_sink_is_ready_before_its_producer_exists_and_binds_once_it_does(
    sink_app: AppFactory, notes_app: AppFactory
) -> None:
    async with running_app(sink_app(), caller=None) as sink:

        async def awaiting() -> dict[str, Any] | None:
            body: dict[str, Any] = (await sink.get("/readyz")).json()
            return body if body["checks"]["awaiting_streams"] == ["notes"] else None

        before = await eventually(awaiting)
        assert (before["status"], before["checks"]["consumers"]) == ("ready", [])
        async with running_app(notes_app()):  # the producer starts and makes its stream

            async def bound() -> dict[str, Any] | None:
                body: dict[str, Any] = (await sink.get("/readyz")).json()
                return body if body["checks"]["consumers"] == ["notes"] else None

            after = await eventually(bound)
        assert (after["status"], after["checks"]["awaiting_streams"]) == ("ready", [])
