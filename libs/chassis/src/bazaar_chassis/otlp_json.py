"""Spans exported as OTLP/HTTP with the JSON encoding, which the console and the OpenTelemetry
Collector both accept.

`bazaar up` traces every request (ADR 11), so the export is paid per request: a request span
exported by the SDK's protobuf encoder (message objects built field by field) costs 35 µs,
as a plain dict written by orjson 11 µs (`python -m bench.gateway_cost`). Ids are hex and 64-bit
integers strings, as OTLP/JSON requires. A string attribute's entry is shared by the spans that
repeat it (a request span's method, route, service, release; values of up to 256 characters):
a sixth off a span's encoding.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from bazaar_chassis.errors import ConfigurationError
from bazaar_chassis.kept import CHARACTERS

_KINDS = {kind: kind.value + 1 for kind in SpanKind}  # OTLP counts from SPAN_KIND_UNSPECIFIED
_SHARED: dict[tuple[str, str], dict[str, Any]] = {}  # orjson only reads them
SHARED_ENTRIES = 4096  # then made afresh: a value seen once (an id) is not kept for long
SHARED_CHARACTERS = CHARACTERS  # a longer value (a made-up path) is not shared, so not kept


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"arrayValue": {"values": [_value(item) for item in value]}}


def _attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [{"key": key, "value": _value(value)} for key, value in (attributes or {}).items()]


def _span_attributes(attributes: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`_attributes`, each string attribute's entry shared (see the module's docstring)."""
    if len(_SHARED) >= SHARED_ENTRIES:
        _SHARED.clear()
    return [
        _SHARED.get((key, value))
        or _SHARED.setdefault((key, value), {"key": key, "value": {"stringValue": value}})
        if type(value) is str and len(value) <= SHARED_CHARACTERS
        else {"key": key, "value": _value(value)}
        for key, value in (attributes or {}).items()
    ]


def _span(span: ReadableSpan) -> dict[str, Any]:
    context, parent = span.get_span_context(), span.parent
    assert context is not None  # an SDK span always has one
    return {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
        "parentSpanId": f"{parent.span_id:016x}" if parent else "",
        "name": span.name,
        "kind": _KINDS[span.kind],
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": _span_attributes(span.attributes),
        "events": [
            {"timeUnixNano": str(event.timestamp), "name": event.name}
            | {"attributes": _attributes(event.attributes)}
            for event in span.events
        ],
        "links": [
            {"traceId": f"{link.context.trace_id:032x}", "spanId": f"{link.context.span_id:016x}"}
            | {"attributes": _attributes(link.attributes)}
            for link in span.links
        ],
        "status": {"code": span.status.status_code.value, "message": span.status.description or ""},
    }


def _scope(span: ReadableSpan) -> dict[str, str]:
    scope = span.instrumentation_scope
    return {"name": scope.name, "version": scope.version or ""} if scope else {"name": ""}


def encode(spans: Sequence[ReadableSpan]) -> bytes:
    """One export request: spans grouped by resource and instrumentation scope (by identity:
    a `Resource` hashes by serializing itself)."""
    groups: dict[tuple[int, int], tuple[ReadableSpan, list[dict[str, Any]]]] = {}
    for span in spans:
        key = (id(span.resource), id(span.instrumentation_scope))
        groups.setdefault(key, (span, []))[1].append(_span(span))
    resource_spans = [
        {
            "resource": {"attributes": _attributes(first.resource.attributes)},
            "scopeSpans": [{"scope": _scope(first), "spans": encoded}],
        }
        for first, encoded in groups.values()
    ]
    return orjson.dumps({"resourceSpans": resource_spans})


class OtlpJsonExporter(SpanExporter):
    """POSTs each batch to `url` (a collector's `/v1/traces`); a failed export is dropped, as
    the SDK's exporter drops it after its retries: tracing never holds up the service."""

    def __init__(self, url: str, *, timeout_seconds: float) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"the trace collector must be an http(s) URL, not {url!r}")
        self._url = url
        self._timeout = timeout_seconds

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        request = urllib.request.Request(  # noqa: S310 (http or https only: see __init__)
            self._url, data=encode(spans), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout):  # noqa: S310
                return SpanExportResult.SUCCESS
        except OSError:  # refused, timed out, or an HTTP error status
            return SpanExportResult.FAILURE
