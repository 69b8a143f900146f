"""The console receives spans over OTLP/HTTP (protobuf and JSON) and shows a trace as a
waterfall; it finds a trace by request id or by the entity an event was about."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_chassis.tracing import build_tracer_provider
from bazaar_console.service import build_app

TRACE_ID = "5b8efff798038103d269b633813fc60c"


def _provider(console_url: str, *, encoding: str) -> TracerProvider:
    """A service's own tracer provider (OTLP/JSON), or one exporting with the SDK's protobuf
    exporter, as a process configured by the standard OTEL_ variables does."""
    provider = build_tracer_provider(
        service="cart",
        version="13.2.0",
        otlp_endpoint=console_url if encoding == "json" else None,
    )
    if encoding == "protobuf":
        exporter = OTLPSpanExporter(endpoint=console_url + "/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


async def _export(console_url: str, body: bytes) -> httpx.Response:
    """POST an OTLP/JSON export to the console's receiver, as a process's exporter does."""
    async with served_client(console_url) as raw:
        return await raw.post(
            "/v1/traces", content=body, headers={"content-type": "application/json"}
        )


@pytest.mark.each_database
@pytest.mark.parametrize("encoding", ["json", "protobuf"])
async def test_exported_spans_become_a_waterfall_with_service_and_release(
    service_settings: ServiceSettings, encoding: str
) -> None:
    async with serving(build_app, service_settings) as console:
        provider = _provider(console.url, encoding=encoding)
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("POST /cart/1/carts", kind=SpanKind.SERVER) as root:
            root.set_attribute("bazaar.request_id", "req-42")
            root.set_attribute("bazaar.major", 1)
            with tracer.start_as_current_span("consume order.placed.v1") as child:
                child.set_attribute("bazaar.event.subject", "order-7")
        provider.shutdown()  # flushes
        trace_id = format(root.get_span_context().trace_id, "032x")
        async with served_client(console.url, ADMIN) as client:

            async def trace() -> dict[str, Any] | None:
                reply = await client.get(f"/console/1/traces/{trace_id}")
                return reply.json() if reply.status_code == 200 else None

            found = await eventually(trace, message="the console never showed the trace")
            by_request = (await client.get("/console/1/traces", params={"q": "req-42"})).json()
            by_order = (await client.get("/console/1/traces", params={"q": "order-7"})).json()
    spans = found["spans"]
    assert [(s["name"], s["depth"]) for s in spans] == [
        ("POST /cart/1/carts", 0),
        ("consume order.placed.v1", 1),
    ]
    assert spans[0]["service"] == "cart"
    assert spans[0]["release"] == "13.2.0"
    assert spans[0]["major"] == 1
    assert [t["trace_id"] for t in by_request["items"]] == [trace_id]
    assert [t["trace_id"] for t in by_order["items"]] == [trace_id]


async def test_otlp_json_from_other_exporters_is_kept_too(
    service_settings: ServiceSettings,
) -> None:
    export = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "inventory"}},
                        {"key": "service.version", "value": {"stringValue": "19.1.0"}},
                    ]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": TRACE_ID,
                                "spanId": "051581bf3cb55c13",
                                "name": "GET /inventory/1/stock/{sku}",
                                "kind": 2,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000005000000",
                                "attributes": [
                                    {
                                        "key": "http.target",
                                        "value": {"stringValue": "/inventory/1/stock/TEA-1"},
                                    }
                                ],
                                "status": {"code": 2},
                            }
                        ]
                    }
                ],
            }
        ]
    }
    async with serving(build_app, service_settings) as console:
        sent = await _export(console.url, orjson.dumps(export))
        assert sent.status_code == 200
        refused = await _export(console.url, b"{")
        assert refused.status_code == 422
        async with served_client(console.url, ADMIN) as client:
            trace = (await client.get(f"/console/1/traces/{TRACE_ID}")).json()
            by_sku = (await client.get("/console/1/traces", params={"q": "TEA-1"})).json()
    (span,) = trace["spans"]
    assert (span["service"], span["release"], span["error"]) == ("inventory", "19.1.0", True)
    assert span["duration_ms"] == 5.0
    assert [t["trace_id"] for t in by_sku["items"]] == [TRACE_ID]


@pytest.mark.each_database
async def test_a_span_with_oversized_fields_or_ids_costs_only_itself(
    service_settings: ServiceSettings,
) -> None:
    """Every process exports here, in batches of hundreds: one span a column cannot hold (a
    client's long request id, a bad id) must neither refuse nor lose the rest of its batch."""

    def span(span_id: str, **fields: Any) -> dict[str, Any]:
        attributes = [{"key": k, "value": {"stringValue": v}} for k, v in fields.items()]
        return {
            "traceId": fields.pop("trace_id", TRACE_ID),
            "spanId": span_id,
            "name": "GET /cart/1/carts/{id}",
            "kind": 2,
            "startTimeUnixNano": "1700000000000000000",
            "endTimeUnixNano": "1700000000001000000",
            "attributes": attributes,
        }

    long_id = "r" * 300
    export = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "c" * 100}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            span("0000000000000001", **{"bazaar.request_id": long_id}),
                            span("0000000000000002", **{"bazaar.event.subject": "e" * 300}),
                            span("00000000000000033", trace_id=TRACE_ID),  # 17 digits: no span id
                            span("0000000000000004", trace_id="ab" * 32),  # 64 digits: no trace id
                            span("0000000000000005", **{"bazaar.major": "9" * 12}),
                            {**span("0000000000000006"), "endTimeUnixNano": "9" * 20},
                        ]
                    }
                ],
            }
        ]
    }
    async with serving(build_app, service_settings) as console:
        sent = await _export(console.url, orjson.dumps(export))
        assert sent.status_code == 200, sent.text
        async with served_client(console.url, ADMIN) as client:
            trace = (await client.get(f"/console/1/traces/{TRACE_ID}")).json()
            by_request = (await client.get("/console/1/traces", params={"q": long_id[:64]})).json()
    kept = {s["span_id"]: s for s in trace["spans"]}
    assert sorted(kept) == ["0000000000000001", "0000000000000002", "0000000000000005"]
    assert kept["0000000000000005"]["major"] is None
    assert [t["trace_id"] for t in by_request["items"]] == [TRACE_ID]
