"""Who calls which major: counts per caller over a window, bounded per slot, forgotten after an
hour, and a window shorter than a slot trusts the time of the last request."""

from __future__ import annotations

from bazaar_gateway.major_traffic import MAX_CALLERS_PER_SLOT, OTHERS, MajorTraffic


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_counted_per_caller_and_major_most_frequent_first() -> None:
    clock = Clock()
    traffic = MajorTraffic(clock)
    for caller in ("a@x", "b@x", "b@x"):
        traffic.record("pricing", 1, caller)
    traffic.record("pricing", 2, "c@x")
    usage = traffic.usage("pricing", 1, window_seconds=60)
    assert (usage.requests, usage.callers) == (3, [("b@x", 2), ("a@x", 1)])
    assert usage.describe(60) == "3 requests in the last 60 s, from 2 caller(s): b@x (2), a@x (1)"


def test_a_major_idle_for_longer_than_the_window_shows_no_traffic() -> None:
    clock = Clock()
    traffic = MajorTraffic(clock)
    traffic.record("pricing", 1, "a@x")
    clock.now += 3
    assert traffic.usage("pricing", 1, window_seconds=2).requests == 0
    assert traffic.usage("pricing", 1, window_seconds=5).requests == 1
    clock.now += 3700
    traffic.record("pricing", 1, "b@x")
    assert traffic.usage("pricing", 1, window_seconds=3600).callers == [("b@x", 1)]


def test_a_slot_names_a_bounded_number_of_callers_and_counts_the_rest_as_others() -> None:
    traffic = MajorTraffic(Clock())
    for i in range(MAX_CALLERS_PER_SLOT + 10):
        traffic.record("pricing", 1, f"guest@10.0.0.{i}")
    usage = traffic.usage("pricing", 1, window_seconds=60)
    assert usage.requests == MAX_CALLERS_PER_SLOT + 10
    assert len(usage.callers) == MAX_CALLERS_PER_SLOT + 1
    assert usage.callers[0] == (OTHERS, 10)
