"""A trace does not stop at the bus: the consumer's span continues the event's `traceparent`,
and the events its handler emits carry that trace on through the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bazaar_chassis import Event, ServiceDefinition, ServiceSettings, UnitOfWork, create_app
from bazaar_chassis.testing import EventProbe, eventually, running_app

from .conftest import MIGRATIONS, AppFactory

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER = f"00-{TRACE_ID}-b7ad6b7169203331-01"


async def on_note_written(event: Event, uow: UnitOfWork) -> None:
    uow.emit("echo.note_echoed.v1", subject=event.subject, sequence=1, data={})


ECHO = ServiceDefinition(
    name="echo",
    version="2.3.0",
    description="consumes a note and emits a follow-up",
    apis={},
    migrations=MIGRATIONS,
    publishes=["echo.note_echoed.v1"],
    handlers={"notes.note_written": on_note_written},
)


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("notes", "echo")


def _consumer_span(spans: tuple[ReadableSpan, ...]) -> ReadableSpan | None:
    return next((s for s in spans if s.name == "consume notes.note_written.v1"), None)


async def test_a_consumer_span_continues_the_events_trace_and_its_follow_up_carries_it_on(
    notes_app: AppFactory,
    service_settings: ServiceSettings,
    tmp_path: Path,
    event_probe: EventProbe,
) -> None:
    echo_database = f"sqlite+aiosqlite:///{tmp_path / 'echo.db'}"
    echo = create_app(ECHO, service_settings.model_copy(update={"database_url": echo_database}))
    exporter = InMemorySpanExporter()
    echo.state.runtime.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with running_app(notes_app()) as client, running_app(echo):
        await client.put("/notes/1/notes/k", json={"text": "x"}, headers={"traceparent": CALLER})
        written = await event_probe.expect("notes.note_written", subject="k")
        echoed = await event_probe.expect("echo.note_echoed", subject="k")

        async def consumed() -> ReadableSpan | None:
            return _consumer_span(exporter.get_finished_spans())

        span = await eventually(consumed, message="echo never traced consuming the note")
    assert span is not None
    assert span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == written.traceparent.split("-")[2]  # type: ignore[union-attr]
    assert span.resource.attributes["service.name"] == "echo"
    assert span.resource.attributes["service.version"] == "2.3.0"
    assert span.attributes is not None
    assert span.attributes["bazaar.event.subject"] == "k"
    assert echoed.traceparent is not None
    _, trace_id, parent_id, _ = echoed.traceparent.split("-")
    assert trace_id == TRACE_ID
    assert parent_id == format(span.context.span_id, "016x")
