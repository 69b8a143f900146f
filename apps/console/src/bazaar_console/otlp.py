"""OTLP/HTTP trace export requests (protobuf or JSON) read into flat span rows.

OTLP/JSON writes trace and span ids as hex, not as protobuf-JSON's base64, so JSON is read by
hand; protobuf goes through the generated classes. Every process exports here in batches of
hundreds, so a span that no row can hold (an id of the wrong length, a time past 64 bits) is
left out alone, and a text longer than its column is cut to fit: neither refuses nor loses the
rest of its batch.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from sqlalchemy import String

from bazaar_console.tables import spans

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
ERROR_STATUS = 2
HEX = re.compile("[0-9a-fA-F]*")
MAX_INTEGER, MAX_BIG_INTEGER = 2**31 - 1, 2**63 - 1  # the columns' SQL types
LENGTHS = {c.name: c.type.length for c in spans.columns if isinstance(c.type, String)}


class BadExport(ValueError):
    """The body is not an OTLP trace export."""


def _any(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return (
        getattr(value, kind)
        if kind in {"string_value", "int_value", "bool_value", "double_value"}
        else None
    )


def _json_any(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    return int(value["intValue"]) if "intValue" in value else None


def _major(value: object) -> int | None:
    """A release's major, if the attribute is a whole number: `str.isdigit` alone also admits
    "²", which `int()` refuses, and one such span would have refused its whole export."""
    text = str(value) if isinstance(value, int | str) else ""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_INTEGER:
        return None
    return int(text)


def _fit(column: str, value: object) -> str | None:
    """`value` as text cut to what `column` holds; None for no value (or an empty one)."""
    return str(value)[: LENGTHS[column]] if value else None


def _source(resource: dict[str, Any]) -> tuple[str, str]:
    """The service and release a resource names, as their columns hold them."""
    service = str(resource.get("service.name", "unknown"))[: LENGTHS["service"]]
    return service, str(resource.get("service.version", "unknown"))[: LENGTHS["release"]]


def _row(source: tuple[str, str], span: dict[str, Any]) -> dict[str, Any] | None:
    """The span's row, or None for a span whose ids or times no row can hold. Its ids are
    lower-case hex already (or "" if they were neither hex nor base64): only lengths are left."""
    ids_fit = len(span["trace_id"]) == 32 and len(span["span_id"]) == 16
    if not ids_fit or len(span["parent_id"]) not in (0, 16):
        return None
    if not (0 <= span["start_ns"] <= MAX_BIG_INTEGER and 0 <= span["end_ns"] <= MAX_BIG_INTEGER):
        return None
    attributes = span["attributes"]
    return {
        "trace_id": span["trace_id"],
        "span_id": span["span_id"],
        "parent_id": span["parent_id"] or None,
        "name": str(span["name"])[: LENGTHS["name"]],
        "service": source[0],
        "release": source[1],
        "major": _major(attributes.get("bazaar.major")),
        "kind": KINDS.get(span["kind"], "unspecified"),
        "start_ns": span["start_ns"],
        "end_ns": span["end_ns"],
        "error": span["status"] == ERROR_STATUS,
        "request_id": _fit("request_id", attributes.get("bazaar.request_id")),
        "entity": _fit("entity", attributes.get("bazaar.event.subject")),
        "target": (
            str(attributes["http.target"])[: LENGTHS["target"]]
            if "http.target" in attributes
            else None
        ),
        "attributes": orjson.dumps(attributes).decode(),
    }


def _from_protobuf(body: bytes) -> Iterator[dict[str, Any]]:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except Exception as exc:  # protobuf's DecodeError (protobuf ships no type stubs)
        raise BadExport(f"not an OTLP protobuf trace export: {exc}") from exc
    for resource_spans in request.resource_spans:
        source = _source({a.key: _any(a.value) for a in resource_spans.resource.attributes})
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                row = _row(
                    source,
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_id": span.parent_span_id.hex(),
                        "name": span.name,
                        "kind": span.kind,
                        "start_ns": span.start_time_unix_nano,
                        "end_ns": span.end_time_unix_nano,
                        "status": span.status.code,
                        "attributes": {a.key: _any(a.value) for a in span.attributes},
                    },
                )
                if row is not None:
                    yield row


def _json_id(value: str) -> str:
    """OTLP/JSON ids are hex; tolerate base64 from protobuf-JSON writers too ("" if neither)."""
    if HEX.fullmatch(value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return ""


def _json_attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Attributes by key; most values are strings, read without a call."""
    attributes = {}
    for item in items:
        value = item.get("value", {})
        string = "stringValue" in value
        attributes[item["key"]] = value["stringValue"] if string else _json_any(value)
    return attributes


def _from_json(body: bytes) -> Iterator[dict[str, Any]]:
    try:
        request = orjson.loads(body)
        for resource_spans in request.get("resourceSpans", []):
            resource = resource_spans.get("resource", {}).get("attributes", [])
            source = _source(_json_attributes(resource))
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    row = _row(
                        source,
                        {
                            "trace_id": _json_id(span.get("traceId", "")),
                            "span_id": _json_id(span.get("spanId", "")),
                            "parent_id": _json_id(span.get("parentSpanId") or ""),
                            "name": span.get("name", ""),
                            "kind": int(span.get("kind", 0)),
                            "start_ns": int(span["startTimeUnixNano"]),
                            "end_ns": int(span["endTimeUnixNano"]),
                            "status": int(span.get("status", {}).get("code", 0)),
                            "attributes": _json_attributes(span.get("attributes", [])),
                        },
                    )
                    if row is not None:
                        yield row
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadExport(f"not an OTLP/JSON trace export: {exc}") from exc


def span_rows(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Every span in an export request, flat, as the `spans` table holds it."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        return list(_from_json(body))
    return list(_from_protobuf(body))
