"""The span of each served request (services and the gateway) and of each run of consumed
events, at a fifth of the SDK's cost for a request's and under half for a consumer's.

A served request's span is started, made current, renamed, given a few attributes and ended;
the SDK's general `Span` (a lock, bounded attribute and event lists, the sampler's result
objects) costs ~19 µs for that, against ~4 µs here: about a seventh of the cheapest request of a
service, and of the gateway's own work (docs/benchmarks.md, P1b and P2b). The finished span is
the SDK's own `ReadableSpan`, given to the provider's processors, so exporters, a test's
in-memory exporter and the console see what the SDK would have made (property-tested against
the SDK: test_chassis_request_spans.py). The sampler is the SDK's default, ParentBased(AlwaysOn),
or ParentBased(TraceIdRatio) (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, the rate in
`OTEL_TRACES_SAMPLER_ARG`): a caller's decision is kept, and a new trace is sampled at the rate.
A request not sampled costs no span at all. Any other provider or sampler gets the SDK's spans.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider, sampling
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from bazaar_chassis.tracing import BazaarTracerProvider


class RequestSpans:
    """Starts server spans for one process's requests, from its tracer provider."""

    def __init__(self, provider: TracerProvider, *, scope: str, version: str) -> None:
        self._sdk = provider.get_tracer(scope, version)
        self._provider = provider
        bound = _root_bound(provider.sampler)
        self._root_bound = bound or 0
        self._processors = (  # None: the SDK's spans (another provider, another sampler)
            provider.processors
            if isinstance(provider, BazaarTracerProvider) and bound is not None
            else None
        )
        self.scope = InstrumentationScope(scope, version)

    def start(
        self,
        name: str,
        parent: otel_context.Context,
        *,
        kind: SpanKind = SpanKind.SERVER,
        links: Sequence[Link] = (),
        start_time: int | None = None,
    ) -> trace.Span:
        """A span begun now, or at `start_time` (ns since the epoch, as the SDK's)."""
        if self._processors is None:
            return self._sdk.start_span(
                name, context=parent, kind=kind, links=links, start_time=start_time
            )
        ids = self._provider.id_generator
        caller: SpanContext | None = trace.get_current_span(parent).get_span_context()
        if caller is not None and caller.is_valid:  # as the SDK's tracer and default sampler
            trace_id, sampled = caller.trace_id, caller.trace_flags.sampled
            random_id, state = caller.trace_flags.random_trace_id, caller.trace_state
        else:
            caller, trace_id = None, ids.generate_trace_id()
            sampled = trace_id & _LOW_64_BITS < self._root_bound  # as TraceIdRatioBased
            random_id, state = ids.is_trace_id_random(), None
        flags = TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT
        if random_id:
            flags |= TraceFlags.RANDOM_TRACE_ID
        context = SpanContext(trace_id, ids.generate_span_id(), False, TraceFlags(flags), state)
        if not sampled:
            return trace.NonRecordingSpan(context)
        return _RequestSpan(self, name, context, caller, kind, links, start_time)

    def finished(self, span: _RequestSpan, end_time: int) -> None:
        assert self._processors is not None  # only lean spans end here
        self._processors.on_end(
            ReadableSpan(
                span.name,
                span.get_span_context(),
                span.parent,
                self._provider.resource,
                span.attributes,
                span.events,
                span.links,
                kind=span.kind,
                status=span.status,
                start_time=span.start_time,
                end_time=end_time,
                instrumentation_scope=self.scope,
            )
        )


_LOW_64_BITS = sampling.TraceIdRatioBased.TRACE_ID_LIMIT


def _root_bound(sampler: sampling.Sampler) -> int | None:
    """A new trace is sampled when its id's low 64 bits are under this bound (None: a sampler
    whose spans are left to the SDK)."""
    if sampler is sampling.DEFAULT_ON:
        return sampling.TraceIdRatioBased.get_bound_for_rate(1.0)
    root = getattr(sampler, "_root", None)  # the SDK's private field: the ratio's sampler
    if type(sampler) is sampling.ParentBasedTraceIdRatio and isinstance(
        root, sampling.TraceIdRatioBased
    ):
        return root.bound
    return None


class _RequestSpan(trace.Span):
    """A server or consumer span as a plain object; ended, it becomes the SDK's `ReadableSpan`."""

    def __init__(
        self,
        spans: RequestSpans,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        links: Sequence[Link],
        start_time: int | None = None,
    ) -> None:
        self._spans, self.name, self._context, self.parent = spans, name, context, parent
        self.kind, self.links = kind, links
        self.attributes: dict[str, Any] = {}
        self.events: list[Event] = []
        self.status = Status(StatusCode.UNSET)
        self.start_time = time.time_ns() if start_time is None else start_time
        self._ended = False

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return not self._ended

    def set_attribute(self, key: str, value: Any) -> None:
        self.set_attributes({key: value})

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if not self._ended:  # as the SDK: an ended span no longer changes
            self.attributes.update(attributes)

    def update_name(self, name: str) -> None:
        if not self._ended:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """As the SDK's: OK is final, and UNSET changes nothing."""
        new = status if isinstance(status, Status) else Status(status, description)
        if self._ended or self.status.status_code is StatusCode.OK:
            return
        if new.status_code is not StatusCode.UNSET:
            self.status = new

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        if not self._ended:
            self.events.append(Event(name, attributes, timestamp))

    def record_exception(
        self,
        exception: BaseException,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        kind = type(exception)
        described = {
            "exception.type": kind.__qualname__
            if kind.__module__ in ("builtins", "")
            else f"{kind.__module__}.{kind.__qualname__}",
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        self.add_event("exception", {**described, **(attributes or {})}, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if not self._ended:
            self._ended = True
            self._spans.finished(self, end_time if end_time is not None else time.time_ns())
