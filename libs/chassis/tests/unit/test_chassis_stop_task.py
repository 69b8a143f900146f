"""`stop_task` gives up on a task that ignores every cancellation, and says which one: left
silently, it surfaced only as a hang when the test's event loop closed, naming nothing."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from bazaar_chassis.jobs import stop_task


async def test_a_task_that_outlives_its_cancellation_is_named_in_the_log() -> None:
    started, released = asyncio.Event(), asyncio.Event()

    async def ignoring_cancellation() -> None:
        started.set()
        while not released.is_set():
            try:
                await released.wait()
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(ignoring_cancellation(), name="stubborn")
    await started.wait()
    with capture_logs() as logs:
        await stop_task(task, timeout=0.3)
    released.set()
    await task

    [entry] = [e for e in logs if e["event"] == "task outlived its cancellation, left running"]
    assert "stubborn" in entry["task"]
    assert entry["log_level"] == "error"


async def test_a_task_that_ends_when_cancelled_is_stopped_without_a_word() -> None:
    task = asyncio.create_task(asyncio.Event().wait())
    with capture_logs() as logs:
        await stop_task(task)
    assert task.cancelled()
    assert logs == []
