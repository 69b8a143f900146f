"""OpenTelemetry tracing: a tracer per service instance, every span tagged with its version.

Spans carry `service.name` and `service.version` (M10: one trace across cart 13.2 and inventory
19.1 shows both). Context crosses HTTP with W3C `traceparent` and events with the CloudEvents
`traceparent` extension (see `unit_of_work.current_traceparent`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def build_tracer_provider(
    *, service: str, version: str, processors: list[SpanProcessor] | None = None
) -> TracerProvider:
    """A provider whose spans name this service and version; exporters are added as processors."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.version": version})
    )
    for processor in processors or []:
        provider.add_span_processor(processor)
    return provider


def extract_context(carrier: Mapping[str, str]) -> otel_context.Context:
    """The remote parent described by a `traceparent` entry, if any."""
    return _PROPAGATOR.extract(carrier)


@contextmanager
def continuing(traceparent: str | None) -> Iterator[None]:
    """Run a block in the trace of a consumed event, so what it emits carries the same trace
    (a reaction to `product.recalled` continues the recall's trace)."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(extract_context({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)
