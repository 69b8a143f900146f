"""Wait on a condition with a deadline, never on a fixed sleep: `eventually` in async tests,
`eventually_sync` in blocking ones (end-to-end tests driving `bazaar up` with a sync client)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class _Deadline:
    """The bookkeeping both helpers share: when to give up, and what to say then."""

    def __init__(self, timeout: float, message: str) -> None:
        self.timeout = timeout
        self.message = message
        self.at = time.monotonic() + timeout
        self.last_error: AssertionError | None = None

    def check_passed(self) -> None:
        if time.monotonic() > self.at:
            detail = f": {self.last_error}" if self.last_error else ""
            raise AssertionError(f"{self.message} within {self.timeout}s{detail}")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> T:
    """Call `check` until it returns a truthy value (returned) or `timeout` passes (AssertionError).

    `check` may raise AssertionError while the condition does not hold yet; the last one is
    reported when the deadline passes. Any other exception ends the wait at once.
    """
    deadline = _Deadline(timeout, message)
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError as exc:
            deadline.last_error = exc
        deadline.check_passed()
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition not met",
) -> T:
    """`eventually` for a blocking `check`."""
    deadline = _Deadline(timeout, message)
    while True:
        try:
            result = check()
            if result:
                return result
        except AssertionError as exc:
            deadline.last_error = exc
        deadline.check_passed()
        time.sleep(interval)
