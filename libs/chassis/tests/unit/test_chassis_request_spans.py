"""`RequestSpans` makes the span the SDK would make, for whatever a request or a consumer does
with it: the same operations on an SDK span and on a request span, from the same kind of caller,
of the same kind and with the same links, export the same span (ids and clock readings
aside)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, TracerProvider, sampling
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import (
    Link,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)

from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.tracing import build_tracer_provider

TRACE_ID, SPAN_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7


class OutOfBeans(Exception):
    """An exception of a module's own, named with its module (builtins are not)."""


values = st.one_of(st.text(max_size=8), st.integers(-(2**40), 2**40), st.booleans())
names = st.sampled_from(["http.route", "http.target", "bazaar.major", "bazaar.request_id", "x"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("set_attribute"), names, values),
        st.tuples(st.just("set_attributes"), st.dictionaries(names, values, max_size=4)),
        st.tuples(st.just("update_name"), st.text(min_size=1, max_size=12)),
        st.tuples(
            st.just("set_status"),
            st.sampled_from([StatusCode.UNSET, StatusCode.OK, StatusCode.ERROR]),
            st.one_of(st.none(), st.text(max_size=8)),
        ),
        st.tuples(st.just("set_status_object"), st.sampled_from(list(StatusCode))),
        st.tuples(st.just("record_exception"), st.sampled_from([ValueError, KeyError, OutOfBeans])),
        st.tuples(st.just("add_event"), st.text(min_size=1, max_size=6)),
    ),
    max_size=8,
)
callers = st.sampled_from(["none", "sampled", "unsampled"])
kinds = st.sampled_from([SpanKind.SERVER, SpanKind.CONSUMER])
links = st.lists(
    st.builds(
        lambda span_id, attributes: Link(
            SpanContext(TRACE_ID, span_id, True, TraceFlags(TraceFlags.SAMPLED)), attributes
        ),
        st.integers(1, 2**64 - 1),
        st.one_of(st.none(), st.dictionaries(names, values, max_size=2)),
    ),
    max_size=3,
)
begun = st.none() | st.integers(1, 2**63 - 1)  # a start given in ns, or now
samplers = st.one_of(  # the default, or what OTEL_TRACES_SAMPLER=parentbased_traceidratio sets
    st.just(sampling.DEFAULT_ON),
    st.builds(sampling.ParentBasedTraceIdRatio, st.sampled_from([0.0, 0.01, 0.5, 0.99, 1.0])),
)
trace_ids = st.integers(1, 2**128 - 1)  # a new trace's id, which the ratio decides on


class GivenTraceIds(RandomIdGenerator):
    """The SDK's span ids, and one given trace id for every new trace."""

    def __init__(self, trace_id: int) -> None:
        self.trace_id = trace_id

    def generate_trace_id(self) -> int:
        return self.trace_id


def _parent(caller: str) -> otel_context.Context:
    if caller == "none":
        return otel_context.Context()
    flags = TraceFlags(TraceFlags.SAMPLED if caller == "sampled" else TraceFlags.DEFAULT)
    remote = SpanContext(TRACE_ID, SPAN_ID, True, flags, TraceState([("vendor", "v")]))
    return trace.set_span_in_context(trace.NonRecordingSpan(remote))


def _apply(span: trace.Span, ops: list[tuple[Any, ...]], after_end: list[tuple[Any, ...]]) -> None:
    for op in ops:
        _one(span, op)
    span.end()
    for op in after_end:  # an ended span no longer changes
        _one(span, op)
    span.end()


def _one(span: trace.Span, op: tuple[Any, ...]) -> None:
    match op:
        case ("set_status_object", code):
            span.set_status(Status(code, "described"))
        case ("record_exception", kind):
            try:
                raise kind("it broke")
            except Exception as exc:
                span.record_exception(exc, attributes={"extra": 1})
        case (method, *args):
            getattr(span, method)(*args)


def _seen(span: ReadableSpan) -> dict[str, Any]:
    parent = span.parent
    return {
        "name": span.name,
        "kind": span.kind,
        "parent": (parent.trace_id, parent.span_id, parent.is_remote) if parent else None,
        "trace_id": span.context.trace_id if parent else "fresh",
        "flags": span.context.trace_flags,
        "trace_state": span.context.trace_state,
        "attributes": dict(span.attributes or {}),
        "status": (span.status.status_code, span.status.description),
        "events": [(e.name, dict(e.attributes or {})) for e in span.events],
        "links": [(link.context.span_id, dict(link.attributes or {})) for link in span.links],
        "resource": span.resource,
        "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version)
        if span.instrumentation_scope
        else None,
    }


def _exported(
    caller: str,
    ops: list[tuple[Any, ...]],
    *,
    lean: bool,
    kind: SpanKind = SpanKind.SERVER,
    linked: Sequence[Link] = (),
    started: int | None = None,
    sampler: sampling.Sampler = sampling.DEFAULT_ON,
    trace_id: int = TRACE_ID,
) -> tuple[bool, list[dict[str, Any]]]:
    """Whether the span began sampled, and what was exported of it."""
    provider = build_tracer_provider(service="cart", version="13.2.0")
    provider.sampler, provider.id_generator = sampler, GivenTraceIds(trace_id)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if lean:
        span = RequestSpans(provider, scope="bazaar", version="13.2.0").start(
            "GET /x", _parent(caller), kind=kind, links=linked, start_time=started
        )
    else:
        tracer = provider.get_tracer("bazaar", "13.2.0")
        span = tracer.start_span(
            "GET /x", context=_parent(caller), kind=kind, links=linked, start_time=started
        )
    sampled = span.get_span_context().trace_flags.sampled
    _apply(span, ops, after_end=[("set_attribute", "late", 1), ("update_name", "late")])
    finished = exporter.get_finished_spans()
    return sampled, [{**_seen(s), "start": s.start_time if started else None} for s in finished]


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    caller=callers,
    ops=operations,
    kind=kinds,
    linked=links,
    started=begun,
    sampler=samplers,
    trace_id=trace_ids,
)
def test_a_request_span_exports_what_the_sdk_span_exports(
    caller: str,
    ops: list[tuple[Any, ...]],
    kind: SpanKind,
    linked: list[Link],
    started: int | None,
    sampler: sampling.Sampler,
    trace_id: int,
) -> None:
    def exported(*, lean: bool) -> tuple[bool, list[dict[str, Any]]]:
        return _exported(
            caller,
            ops,
            lean=lean,
            kind=kind,
            linked=linked,
            started=started,
            sampler=sampler,
            trace_id=trace_id,
        )

    assert exported(lean=True) == exported(lean=False)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(rate=st.sampled_from([0.0, 0.01, 0.5, 1.0]), trace_id=trace_ids)
def test_a_new_trace_is_sampled_at_the_configured_rate_with_lean_spans(
    rate: float, trace_id: int
) -> None:
    provider = build_tracer_provider(service="cart", version="1")
    provider.sampler = sampling.ParentBasedTraceIdRatio(rate)
    provider.id_generator = GivenTraceIds(trace_id)
    span = RequestSpans(provider, scope="bazaar", version="1").start("GET /x", _parent("none"))
    sampled = (trace_id & (2**64 - 1)) < round(rate * 2**64)
    assert (span.is_recording(), span.get_span_context().trace_flags.sampled) == (sampled, sampled)
    assert not isinstance(span, Span)  # never the SDK's span under this sampler


def test_a_request_span_has_ids_of_its_own_and_continues_its_callers_trace() -> None:
    provider = build_tracer_provider(service="cart", version="13.2.0")
    spans = RequestSpans(provider, scope="bazaar", version="13.2.0")
    fresh = [spans.start("GET /x", _parent("none")).get_span_context() for _ in range(3)]
    assert len({c.trace_id for c in fresh}) == 3
    assert all(c.is_valid and c.trace_flags.sampled for c in fresh)
    continued = spans.start("GET /x", _parent("sampled")).get_span_context()
    assert (continued.trace_id, continued.is_remote) == (TRACE_ID, False)
    assert continued.span_id not in (SPAN_ID, *(c.span_id for c in fresh))


def test_a_provider_of_another_kind_or_sampler_gets_the_sdks_spans() -> None:

    plain = RequestSpans(TracerProvider(), scope="bazaar", version="1")
    assert isinstance(plain.start("GET /x", _parent("none")), Span)
    provider = build_tracer_provider(service="cart", version="1")
    provider.sampler = sampling.ALWAYS_OFF  # what OTEL_TRACES_SAMPLER would configure
    sampled_off = RequestSpans(provider, scope="bazaar", version="1")
    assert not sampled_off.start("GET /x", _parent("none")).is_recording()
