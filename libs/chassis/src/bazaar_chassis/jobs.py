"""Repeating background work (expiring reservations, retiring keys): one loop, written once.

A failing round is logged and the next one runs on schedule; the job never dies of an error,
only of cancellation at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

_log = structlog.get_logger("bazaar.jobs")


def raise_if_cancelled() -> None:
    """Call in a retry loop's `except Exception`: some libraries (nats-py, via 3.11's
    `asyncio.wait_for`) turn a cancellation into another error; without this check the loop
    would retry forever and shutdown would wait for it forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_task(task: asyncio.Task[Any] | None, *, timeout: float = 5.0) -> None:
    """Cancel `task` until it is really done (or `timeout` passes).

    One cancel is not always enough: a library that swallows the CancelledError (3.11's
    `wait_for` racing a result) leaves the task running into its next `await`; cancelling again
    interrupts that one. Shutdown must never hang on a background task; a task that is still
    running is named in the log, or it would only show up as a hang when the event loop closes.
    """
    if task is None:
        return
    deadline = asyncio.get_running_loop().time() + timeout
    while not task.done() and asyncio.get_running_loop().time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    if not task.done():
        _log.error("task outlived its cancellation, left running", task=repr(task))


async def repeat(step: Callable[[], Awaitable[object]], *, every: float, name: str) -> None:
    """Run `step` every `every` seconds until cancelled."""
    while True:
        try:
            await step()
        except Exception as exc:
            raise_if_cancelled()
            _log.warning("background job round failed", job=name, error=repr(exc))
        await asyncio.sleep(every)
