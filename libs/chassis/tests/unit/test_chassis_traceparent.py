"""`current_traceparent` writes what the W3C propagator's `inject` writes, for any span that may
be current: valid or not, sampled or not, with or without a trace state."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from bazaar_chassis.unit_of_work import current_traceparent

contexts = st.builds(
    SpanContext,
    trace_id=st.one_of(st.just(0), st.integers(1, 2**128 - 1)),
    span_id=st.one_of(st.just(0), st.integers(1, 2**64 - 1)),
    is_remote=st.booleans(),
    trace_flags=st.sampled_from([TraceFlags(0), TraceFlags(1)]),
    trace_state=st.sampled_from([None, TraceState([("vendor", "value")])]),
)


@given(contexts)
def test_the_traceparent_is_the_propagators(span_context: SpanContext) -> None:
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(span_context)))
    try:
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        assert current_traceparent() == carrier.get("traceparent")
    finally:
        otel_context.detach(token)


def test_there_is_none_outside_a_span() -> None:
    assert current_traceparent() is None
