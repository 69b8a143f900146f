"""An event emitted while reacting to a consumed event continues that event's trace (issue 10:
every reaction to a recall carries the recall's trace context)."""

from __future__ import annotations

from bazaar_chassis.tracing import continuing
from bazaar_chassis.unit_of_work import current_traceparent

RECALL = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_inside_a_continued_trace_the_current_traceparent_is_the_events() -> None:
    with continuing(RECALL):
        inside = current_traceparent()
    assert inside is not None
    assert inside.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"


def test_the_trace_ends_with_the_block() -> None:
    with continuing(RECALL):
        pass
    assert current_traceparent() is None


def test_an_event_without_trace_context_leaves_none() -> None:
    with continuing(None):
        assert current_traceparent() is None
