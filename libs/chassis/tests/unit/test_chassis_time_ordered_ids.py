"""Trace ids and request ids begin with the millisecond they were made, so the console's indexes
on them grow at one end (docs/benchmarks.md, P2), and stay unique and random where W3C Trace
Context asks them to be."""

from __future__ import annotations

import time

from opentelemetry import context as otel_context

from bazaar_chassis.http_middleware import new_request_id
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.tracing import RANDOM_BITS, build_tracer_provider, time_ordered_id

W3C_RANDOM_BITS = 56  # what the `random` flag promises of a trace id's low bits


def _millis() -> int:
    return time.time_ns() // 1_000_000


def test_a_new_trace_begins_with_the_millisecond_it_was_started() -> None:
    provider = build_tracer_provider(service="cart", version="13.2.0")
    request_spans = RequestSpans(provider, scope="bazaar", version="13.2.0")
    before = _millis()
    started = [
        provider.get_tracer("bazaar").start_span("a job").get_span_context(),
        request_spans.start("GET /x", otel_context.Context()).get_span_context(),
    ]
    after = _millis()
    for context in started:
        assert before <= context.trace_id >> RANDOM_BITS <= after
        assert context.trace_flags.random_trace_id


def test_request_ids_sort_by_the_millisecond_they_were_made() -> None:
    before = _millis()
    first = new_request_id()
    made = _millis()
    deadline = time.monotonic() + 1.0
    while _millis() == made and time.monotonic() < deadline:
        pass
    second = new_request_id()
    assert len(first) == len(second) == 32
    assert first < second
    assert before <= int(first, 16) >> RANDOM_BITS <= made


def test_ids_made_in_the_same_millisecond_differ_in_their_random_low_bits() -> None:
    ids = [time_ordered_id() for _ in range(10_000)]
    assert len({i >> RANDOM_BITS for i in ids}) < len(ids)  # many shared a millisecond
    assert len({i % 2**W3C_RANDOM_BITS for i in ids}) == len(ids)
