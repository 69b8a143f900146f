"""The lean OTLP/JSON encoder (otlp_json.py) says what the SDK's protobuf encoder says: each
export is compared, field by field, with the protobuf message written out by protobuf's own
JSON mapping (ids turned from base64 into OTLP/JSON's hex), for spans of every shape."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import orjson
import pytest
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from bazaar_chassis import otlp_json
from bazaar_chassis.errors import ConfigurationError
from bazaar_chassis.otlp_json import OtlpJsonExporter, encode
from bazaar_chassis.tracing import extract_context

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
IDS = {"traceId", "spanId", "parentSpanId"}


def _normal(value: Any, *, hex_ids: bool = False, key: str = "") -> Any:
    """Defaults dropped (protobuf's JSON leaves them out), ids as lower-case hex."""
    if isinstance(value, dict):
        kept = {k: _normal(v, hex_ids=hex_ids, key=k) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", [], {}, 0, None)}
    if isinstance(value, list):
        return [_normal(item, hex_ids=hex_ids) for item in value]
    if key in IDS and isinstance(value, str) and not hex_ids:
        return base64.b64decode(value).hex()
    return value


def _reference(spans: Sequence[ReadableSpan]) -> Any:
    message = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource in message.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope["spans"]:
                span.pop("flags", None)  # W3C trace flags: the console does not read them
                for link in span.get("links", []):
                    link.pop("flags", None)
    return _normal(message)


ATTRIBUTE = st.one_of(
    st.text(max_size=8),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.text(max_size=4), max_size=3),
    st.lists(st.integers(min_value=0, max_value=9), max_size=3),
)
ATTRIBUTES = st.dictionaries(st.text(min_size=1, max_size=6), ATTRIBUTE, max_size=5)


@settings(max_examples=60, deadline=None)
@given(
    attributes=ATTRIBUTES,
    kind=st.sampled_from(list(SpanKind)),
    with_parent=st.booleans(),
    error=st.sampled_from(["", "boom"]),
    event_attributes=st.lists(ATTRIBUTES, max_size=2),
    links=st.integers(min_value=0, max_value=2),
)
def test_every_span_encodes_as_the_sdks_protobuf_reads_in_json(
    attributes: dict[str, Any],
    kind: SpanKind,
    with_parent: bool,
    error: str,
    event_attributes: list[dict[str, Any]],
    links: int,
) -> None:
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "cart", "k": 3}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("bazaar", "13.2")
    with tracer.start_as_current_span("linked") as linked:
        pass
    context = extract_context({"traceparent": PARENT} if with_parent else {})
    with tracer.start_as_current_span(
        "GET /cart/1/carts/{id}",
        context=context,
        kind=kind,
        links=[Link(linked.get_span_context(), {"n": n}) for n in range(links)],
    ) as span:
        span.set_attributes(attributes)
        for number, values in enumerate(event_attributes):
            span.add_event(f"event {number}", values)
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
    other = TracerProvider(resource=Resource.create({"service.name": "inventory"}))
    other.add_span_processor(SimpleSpanProcessor(kept))
    with other.get_tracer("bazaar").start_as_current_span("consume inventory.stock_changed.v1"):
        pass

    spans = kept.get_finished_spans()
    mine = _normal(orjson.loads(encode(spans)), hex_ids=True)
    assert mine == _reference(spans)


def test_the_collector_must_be_an_http_url() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        OtlpJsonExporter("file:///etc/passwd", timeout_seconds=1)


def test_an_unreachable_collector_is_a_failed_export_not_an_error() -> None:
    exporter = OtlpJsonExporter("http://127.0.0.1:9/v1/traces", timeout_seconds=1)
    assert exporter.export([]) is SpanExportResult.FAILURE


def test_shared_string_entries_are_made_afresh_past_their_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(otlp_json, "SHARED_ENTRIES", 3)
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("bazaar")
    for number in range(10):
        with tracer.start_as_current_span("GET /hello") as span:
            span.set_attributes({"http.route": "/hello", "bazaar.request_id": f"r{number}"})
    spans = kept.get_finished_spans()
    encoded = orjson.loads(encode(spans))["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert [s["attributes"][1]["value"]["stringValue"] for s in encoded] == [
        f"r{n}" for n in range(10)
    ]
    assert _normal(orjson.loads(encode(spans)), hex_ids=True) == _reference(spans)
    assert len(otlp_json._SHARED) <= 3 + 2  # cleared before a span adds its own two


def test_a_long_string_attribute_is_encoded_but_not_kept() -> None:
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "gateway"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    long_path = "/x" * otlp_json.SHARED_CHARACTERS
    with provider.get_tracer("bazaar").start_as_current_span("GET (refused)") as span:
        span.set_attributes({"http.target": long_path, "http.route": "(refused)"})
    spans = kept.get_finished_spans()
    assert _normal(orjson.loads(encode(spans)), hex_ids=True) == _reference(spans)
    assert ("http.route", "(refused)") in otlp_json._SHARED
    assert not any(value == long_path for _, value in otlp_json._SHARED)
