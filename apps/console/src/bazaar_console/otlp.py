"""OTLP/HTTP trace export requests (protobuf or JSON) read into flat span rows.

OTLP/JSON writes trace and span ids as hex, not as protobuf-JSON's base64, so JSON is read by
hand; protobuf goes through the generated classes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
ERROR_STATUS = 2


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
    return int(text) if text.isascii() and text.isdigit() else None


def _row(resource: dict[str, Any], span: dict[str, Any]) -> dict[str, Any]:
    attributes = span["attributes"]
    return {
        "trace_id": span["trace_id"],
        "span_id": span["span_id"],
        "parent_id": span["parent_id"] or None,
        "name": str(span["name"])[:300],
        "service": str(resource.get("service.name", "unknown"))[:64],
        "release": str(resource.get("service.version", "unknown"))[:64],
        "major": _major(attributes.get("bazaar.major")),
        "kind": KINDS.get(span["kind"], "unspecified"),
        "start_ns": span["start_ns"],
        "end_ns": span["end_ns"],
        "error": span["status"] == ERROR_STATUS,
        "request_id": attributes.get("bazaar.request_id") or None,
        "entity": attributes.get("bazaar.event.subject") or None,
        "target": (str(attributes["http.target"])[:500] if "http.target" in attributes else None),
        "attributes": orjson.dumps(attributes).decode(),
    }


def _from_protobuf(body: bytes) -> Iterator[dict[str, Any]]:
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except Exception as exc:  # protobuf's DecodeError (protobuf ships no type stubs)
        raise BadExport(f"not an OTLP protobuf trace export: {exc}") from exc
    for resource_spans in request.resource_spans:
        resource = {a.key: _any(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield _row(
                    resource,
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


def _json_id(value: str) -> str:
    """OTLP/JSON ids are hex; tolerate base64 from protobuf-JSON writers too."""
    try:
        bytes.fromhex(value)
    except ValueError:
        return base64.b64decode(value).hex()
    return value.lower()


def _from_json(body: bytes) -> Iterator[dict[str, Any]]:
    try:
        request = orjson.loads(body)
        for resource_spans in request.get("resourceSpans", []):
            resource = {
                a["key"]: _json_any(a.get("value", {}))
                for a in resource_spans.get("resource", {}).get("attributes", [])
            }
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    yield _row(
                        resource,
                        {
                            "trace_id": _json_id(span["traceId"]),
                            "span_id": _json_id(span["spanId"]),
                            "parent_id": _json_id(span.get("parentSpanId") or ""),
                            "name": span.get("name", ""),
                            "kind": int(span.get("kind", 0)),
                            "start_ns": int(span["startTimeUnixNano"]),
                            "end_ns": int(span["endTimeUnixNano"]),
                            "status": int(span.get("status", {}).get("code", 0)),
                            "attributes": {
                                a["key"]: _json_any(a.get("value", {}))
                                for a in span.get("attributes", [])
                            },
                        },
                    )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadExport(f"not an OTLP/JSON trace export: {exc}") from exc


def span_rows(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """Every span in an export request, flat, as the `spans` table holds it."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        return list(_from_json(body))
    return list(_from_protobuf(body))
