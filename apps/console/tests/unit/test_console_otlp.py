"""The console reads OTLP/JSON by hand (ids are hex there) and OTLP/protobuf through the
generated classes: for any spans, both give the same rows. The JSON side is what every Bazaar
process sends (`bazaar_chassis.otlp_json`), the protobuf side the SDK's own encoder, so this
is the hand-written reader checked against the reference one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from bazaar_chassis.otlp_json import encode
from bazaar_console.otlp import BadExport, span_rows

TEXT = st.text(max_size=40)
VALUES = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(TEXT, max_size=3).map(tuple),
)
ATTRIBUTES = st.dictionaries(
    st.one_of(
        st.sampled_from(["bazaar.major", "bazaar.request_id", "http.target"]),
        st.sampled_from(["bazaar.event.subject", "http.route"]),
        TEXT,
    ),
    VALUES,
    max_size=8,
)
IDS = st.integers(min_value=1, max_value=2**64 - 1)
RESOURCES = st.sampled_from(
    [
        Resource({"service.name": "catalog", "service.version": "1.4.0"}),
        Resource({"service.name": "gateway"}),
        Resource({}),
    ]
)


@st.composite
def spans(draw: st.DrawFn) -> ReadableSpan:
    trace_id = draw(st.integers(min_value=1, max_value=2**128 - 1))
    parent = draw(st.none() | IDS)
    start = draw(st.integers(min_value=0, max_value=2**62))
    return ReadableSpan(
        name=draw(TEXT),
        context=SpanContext(trace_id, draw(IDS), is_remote=False, trace_flags=TraceFlags(1)),
        parent=SpanContext(trace_id, parent, is_remote=False) if parent else None,
        resource=draw(RESOURCES),
        attributes=draw(ATTRIBUTES),
        kind=draw(st.sampled_from(list(SpanKind))),
        status=Status(draw(st.sampled_from(list(StatusCode)))),
        start_time=start,
        end_time=start + draw(st.integers(min_value=0, max_value=10**12)),
        instrumentation_scope=InstrumentationScope("bazaar"),
    )


def _protobuf(batch: list[ReadableSpan]) -> list[dict[str, Any]]:
    return span_rows(encode_spans(batch).SerializeToString(), "application/x-protobuf")


@settings(max_examples=300, deadline=None)
@given(st.lists(spans(), min_size=1, max_size=5))
def test_json_and_protobuf_exports_of_the_same_spans_give_the_same_rows(
    batch: list[ReadableSpan],
) -> None:
    # both group spans by resource, each in its own order: the rows, not their order, count
    assert sorted(span_rows(encode(batch), "application/json"), key=repr) == sorted(
        _protobuf(batch), key=repr
    )


def test_base64_ids_from_a_protobuf_json_writer_are_read_as_hex() -> None:
    body = (
        b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==",'
        b'"spanId":"AAAAAAAAAAI=","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}'
    )
    [row] = span_rows(body, "application/json")
    assert (row["trace_id"], row["span_id"]) == ("0" * 31 + "1", "0" * 15 + "2")


@pytest.mark.parametrize("major", ["²", "٣", "-1", "1.0", "", True, 2.0])
def test_a_major_that_is_not_a_whole_number_is_no_major_and_keeps_the_export(major: Any) -> None:
    span = ReadableSpan(
        name="x",
        context=SpanContext(1, 2, is_remote=False),
        resource=Resource({"service.name": "catalog"}),
        attributes={"bazaar.major": major},
        start_time=1,
        end_time=2,
    )
    [row] = span_rows(encode([span]), "application/json")
    assert row["major"] is None
    assert _protobuf([span])[0]["major"] is None


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"no ids"}]}]}]}'],
)
def test_what_is_not_an_export_is_a_bad_export(body: bytes) -> None:
    with pytest.raises(BadExport):
        span_rows(body, "application/json")
