"""Repeating background work (expiring reservations, retiring keys): one loop, written once.

A failing round is logged and the next one runs on schedule; the job never dies of an error,
only of cancellation at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

_log = structlog.get_logger("bazaar.jobs")


def raise_if_cancelled() -> None:
    """Call in a retry loop's `except Exception`: some libraries (nats-py, via 3.11's
    `asyncio.wait_for`) turn a cancellation into another error; without this check the loop
    would retry forever and shutdown would wait for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def repeat(step: Callable[[], Awaitable[object]], *, every: float, name: str) -> None:
    """Run `step` every `every` seconds until cancelled."""
    while True:
        try:
            await step()
        except Exception as exc:
            raise_if_cancelled()
            _log.warning("background job round failed", job=name, error=repr(exc))
        await asyncio.sleep(every)
