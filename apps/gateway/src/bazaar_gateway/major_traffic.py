"""Who still calls each major of each service, and how much: what `bazaar retire` asks before a
major stops being routed ("refused: 42 requests in the last 300 s, from merch@bazaar.test").

Counts are kept in memory per ten-second slot for the last hour, per (service, major) and caller;
a slot names at most `MAX_CALLERS_PER_SLOT` callers, the rest are counted as `(others)`.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from bazaar_chassis.caller import Caller

SLOT_SECONDS = 10.0
KEPT_SECONDS = 3600.0
MAX_CALLERS_PER_SLOT = 50
OTHERS = "(others)"


def caller_label(caller: Caller, remote: str | None) -> str:
    """How an operator recognises a caller: a user's email, a service's id, a guest's address."""
    if caller.kind == "guest":
        return f"guest@{remote or 'unknown'}"
    return caller.email or f"{caller.kind}:{caller.subject}"


@dataclass(frozen=True, slots=True)
class Usage:
    """The requests to one major over a window, and who made them (most requests first)."""

    requests: int
    callers: list[tuple[str, int]]
    last_seen: float | None

    def describe(self, window_seconds: float) -> str:
        named = ", ".join(f"{who} ({count})" for who, count in self.callers[:5])
        more = f" and {len(self.callers) - 5} more" if len(self.callers) > 5 else ""
        return (
            f"{self.requests} requests in the last {window_seconds:g} s, from "
            f"{len(self.callers)} caller(s): {named}{more}"
        )


class MajorTraffic:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._slots: dict[tuple[str, int], deque[tuple[int, Counter[str]]]] = {}
        self._last_seen: dict[tuple[str, int], float] = {}

    def record(self, service: str, major: int, caller: str) -> None:
        now = self._clock()
        slot = int(now // SLOT_SECONDS)
        slots = self._slots.get((service, major))
        if slots is None:
            slots = self._slots[(service, major)] = deque()
        if not slots or slots[-1][0] != slot:
            slots.append((slot, Counter()))
            while slots and slots[0][0] <= slot - KEPT_SECONDS / SLOT_SECONDS:
                slots.popleft()
        counts = slots[-1][1]
        if caller not in counts and len(counts) >= MAX_CALLERS_PER_SLOT:
            caller = OTHERS
        counts[caller] += 1
        self._last_seen[(service, major)] = now

    def usage(self, service: str, major: int, *, window_seconds: float) -> Usage:
        """The requests to `major` in the last `window_seconds` (counted by whole slots)."""
        since = (self._clock() - window_seconds) // SLOT_SECONDS
        total: Counter[str] = Counter()
        for slot, counts in self._slots.get((service, major), ()):
            if slot >= since:
                total.update(counts)
        last_seen = self._last_seen.get((service, major))
        if last_seen is not None and last_seen < self._clock() - window_seconds:
            total.clear()  # the whole slot may be older than asked: trust the exact last request
        return Usage(requests=sum(total.values()), callers=total.most_common(), last_seen=last_seen)
