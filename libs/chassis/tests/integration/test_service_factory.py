"""What `create_app` gives every service: health, readiness, metrics, problem+json, request ids,
the served-by header, traces tagged with service and version, and JSON logs."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bazaar_chassis.testing import assert_problem, eventually, running_app

from .conftest import AppFactory


async def test_health_and_readiness_report_the_database_and_the_bus(notes_app: AppFactory) -> None:
    async with running_app(notes_app(), caller=None) as client:
        assert (await client.get("/healthz")).json() == {"status": "alive"}
        ready = (await client.get("/readyz")).json()
        assert ready["checks"]["database"] is True
        assert ready["service"] == "notes"


async def test_what_a_service_opened_beside_the_chassis_closes_when_the_instance_stops(
    notes_app: AppFactory,
) -> None:
    app = notes_app()
    closed: list[str] = []
    app.state.runtime.on_close(lambda: closed.append("its connections"))
    async with running_app(app, caller=None) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert closed == []
    assert closed == ["its connections"]


async def test_every_reply_names_its_request_and_the_version_that_served_it(
    notes_app: AppFactory,
) -> None:
    async with running_app(notes_app()) as client:
        reply = await client.put(
            "/notes/1/notes/a", json={"text": "x"}, headers={"x-request-id": "req-123"}
        )
        assert reply.headers["x-request-id"] == "req-123"
        assert reply.headers["bazaar-served-by"] == "notes/1.0.0"
        assert (await client.get("/notes/1/nothing")).headers["x-request-id"]


async def test_metrics_count_requests_by_route_template_status_and_version(
    notes_app: AppFactory,
) -> None:
    async with running_app(notes_app()) as client:
        for key in ("a", "b"):
            await client.put(f"/notes/1/notes/{key}", json={"text": "x"})
        await client.put("/notes/1/notes/c", json={"text": "forbidden"})
        text = (await client.get("/metrics")).text
    line = next(
        row
        for row in text.splitlines()
        if row.startswith("bazaar_http_request_duration_seconds_count")
        and 'route="/notes/1/notes/{key}"' in row
        and 'status="201"' in row
    )
    assert 'version="1.0.0"' in line
    assert line.endswith(" 2.0")
    assert 'status="422"' in text


async def test_metrics_count_the_events_the_outbox_got_into_the_stream(
    notes_app: AppFactory,
) -> None:
    async with running_app(notes_app()) as client:
        for key in ("a", "b"):
            await client.put(f"/notes/1/notes/{key}", json={"text": "x"})

        async def published_counted() -> bool:
            metrics = (await client.get("/metrics")).text
            counted = 'bazaar_outbox_published_total{event="notes.note_written",service="notes",'
            return counted + 'version="1.0.0"} 2.0' in metrics

        await eventually(published_counted, message="the outbox counter never reached 2")


async def test_an_unexpected_error_is_a_500_problem_without_internals(
    notes_app: AppFactory,
) -> None:
    async with running_app(notes_app()) as client:
        reply = await client.put("/notes/1/notes/a", json={"text": "explode"})
    assert_problem(reply, 500)
    assert "secret internal detail" not in reply.text
    assert "Traceback" not in reply.text
    assert reply.json()["instance"].startswith("urn:request:")


async def test_request_spans_carry_service_name_version_route_and_the_callers_trace(
    notes_app: AppFactory,
) -> None:
    app = notes_app()
    exporter = InMemorySpanExporter()
    app.state.runtime.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with running_app(app) as client:
        await client.put("/notes/1/notes/a", json={"text": "x"}, headers={"traceparent": parent})
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("PUT")]
    assert span.name == "PUT /notes/1/notes/{key}"
    assert span.resource.attributes["service.name"] == "notes"
    assert span.resource.attributes["service.version"] == "1.0.0"
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"


async def test_events_carry_the_trace_of_the_request_that_caused_them(
    notes_app: AppFactory, event_probe: object
) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with running_app(notes_app()) as client:
        await client.put("/notes/1/notes/t", json={"text": "x"}, headers={"traceparent": parent})
        event = await event_probe.expect("notes.note_written", subject="t")  # type: ignore[attr-defined]
    assert event.traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


async def test_log_lines_are_json_objects_naming_service_and_version(
    notes_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = notes_app(log_level="info")
    async with running_app(app) as client:
        await client.put("/notes/1/notes/a", json={"text": "explode"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    error = next(line for line in lines if line["event"] == "unhandled error")
    assert error["service.name"] == "notes"
    assert error["service.version"] == "1.0.0"
    assert error["request_id"]
