"""OpenTelemetry tracing: a tracer per process, every span tagged with its service and release,
exported over OTLP/HTTP to the collector the settings name (by default, `bazaar up`'s console).

`bazaar up` and the settings' `otlp_endpoint` export OTLP/JSON (`otlp_json`: a third of the
protobuf encoder's cost per span); the standard `OTEL_EXPORTER_OTLP_*` variables get the SDK's
own protobuf exporter, as any OpenTelemetry user expects.

Spans carry `service.name` and `service.version` (M10: one trace across cart 13.2 and inventory
19.1 shows both). Context crosses HTTP with W3C `traceparent` and events with the CloudEvents
`traceparent` extension (see `unit_of_work.current_traceparent`); consumers continue it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from bazaar_chassis.otlp_json import OtlpJsonExporter

_PROPAGATOR = TraceContextTextMapPropagator()
STANDARD_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
EXPORT_DELAY_MILLIS = 1000  # a trace reaches the console about a second after it ended
EXPORT_TIMEOUT_SECONDS = 2.0  # a collector that is gone must not hold up a shutdown
RANDOM_BITS = 80  # below 48 bits of Unix milliseconds: W3C's `random` flag asks for 56


def time_ordered_id() -> int:
    """A 128-bit id that sorts by the millisecond it was made (as UUIDv7), unique by its random
    low bits: the console indexes trace and request ids, and a random one cost it a page write
    per index and span, five times the insert itself (docs/benchmarks.md, P2). From `random`:
    os.urandom releases the GIL (see caller.HS256)."""
    return (time.time_ns() // 1_000_000) << RANDOM_BITS | random.getrandbits(RANDOM_BITS)


class TimeOrderedIds(RandomIdGenerator):
    """The SDK's span ids; trace ids from `time_ordered_id`."""

    def generate_trace_id(self) -> int:
        return time_ordered_id()


def otlp_processors(endpoint: str | None) -> list[SpanProcessor]:
    """Export to `endpoint` (a collector's base URL, `/v1/traces` appended), else to what the
    standard `OTEL_EXPORTER_OTLP_*` variables name, else nowhere."""
    exporter: SpanExporter
    if endpoint:
        url = endpoint.rstrip("/") + "/v1/traces"
        exporter = OtlpJsonExporter(url, timeout_seconds=EXPORT_TIMEOUT_SECONDS)
    elif any(os.environ.get(name) for name in STANDARD_ENDPOINT_VARIABLES):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # it reads the OTEL_ variables itself
    else:
        return []
    return [BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MILLIS)]


class BazaarTracerProvider(TracerProvider):
    """The SDK's provider, holding on to its span processors so `request_spans` can hand them
    finished spans (processors added later, a test's among them, are included)."""

    def __init__(self, resource: Resource) -> None:
        self.processors = SynchronousMultiSpanProcessor()  # type: ignore[no-untyped-call]
        super().__init__(
            resource=resource, active_span_processor=self.processors, id_generator=TimeOrderedIds()
        )


def build_tracer_provider(
    *, service: str, version: str, otlp_endpoint: str | None = None
) -> TracerProvider:
    """A provider whose spans name this service and release, exporting as configured."""
    provider = BazaarTracerProvider(
        Resource.create({"service.name": service, "service.version": version})
    )
    for processor in otlp_processors(otlp_endpoint):
        provider.add_span_processor(processor)
    return provider


def extract_context(carrier: Mapping[str, str]) -> otel_context.Context:
    """The remote parent described by a `traceparent` entry, if any."""
    return _PROPAGATOR.extract(carrier)
