"""The waiting helpers return what the check found, report the last failed assertion when the
deadline passes, and stop at once on any other error."""

from __future__ import annotations

import itertools

import pytest

from bazaar_chassis.testing import eventually, eventually_sync


def test_the_blocking_helper_returns_the_first_truthy_answer() -> None:
    calls = itertools.count(1)
    assert eventually_sync(lambda: next(calls) >= 3 and "third", interval=0) == "third"


def test_the_blocking_helper_reports_the_last_assertion_when_time_is_up() -> None:
    def never() -> None:
        raise AssertionError("still 0 items")

    with pytest.raises(AssertionError, match=r"page not built within 0\.05s: still 0 items"):
        eventually_sync(never, timeout=0.05, interval=0.01, message="page not built")


def test_the_blocking_helper_stops_at_once_on_an_unexpected_error() -> None:
    calls = itertools.count(1)

    def broken() -> None:
        next(calls)
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="exited"):
        eventually_sync(broken, timeout=5)
    assert next(calls) == 2


async def test_the_async_helper_behaves_the_same() -> None:
    calls = itertools.count(1)

    async def third() -> str | None:
        return "third" if next(calls) >= 3 else None

    assert await eventually(third, interval=0) == "third"
    with pytest.raises(AssertionError, match=r"never within 0\.05s"):
        await eventually(lambda: _none(), timeout=0.05, interval=0.01, message="never")


async def _none() -> None:
    return None
