"""Serve an app on a real loopback port inside the test process (uvicorn), for tests that need
real HTTP between components: the gateway in front of a service, a service calling another."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from bazaar_chassis.runner import bind_socket
from bazaar_chassis.settings import ServiceSettings

STOP_TIMEOUT_SECONDS = 15.0


class ServedApp:
    """A running instance: its URL, its app, and a way to kill it without a clean shutdown."""

    def __init__(self, app: FastAPI, server: uvicorn.Server, task: asyncio.Task[None], url: str):
        self.app = app
        self.url = url
        self._server = server
        self._task = task

    async def crash(self) -> None:
        """Stop answering at once, without deregistering or draining (like `kill -9`)."""
        runtime = self.app.state.runtime
        if runtime.registration is not None:
            runtime.registration.halt()
        for task in runtime.tasks:
            task.cancel()
        await runtime.consumer.stop()
        await runtime.bus.close()
        self._server.should_exit = True
        self._server.force_exit = True
        for server in self._server.servers:
            server.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


@asynccontextmanager
async def serving(
    build_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings
) -> AsyncIterator[ServedApp]:
    """Run `build_app(settings)` on a free port until the block ends; it registers itself."""
    sock = bind_socket(settings.host, 0)
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    app = build_app(settings)
    config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
        await asyncio.sleep(0.01)
    served = ServedApp(app, server, task, f"http://{settings.host}:{settings.port}")
    try:
        yield served
    finally:
        if not task.done():
            server.should_exit = True
            done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT_SECONDS)
            if not done:
                stuck = [t for t in asyncio.all_tasks() if not t.done()]
                for candidate in stuck:
                    candidate.print_stack(limit=6)
                server.force_exit = True
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                raise AssertionError(f"{served.url} did not stop within {STOP_TIMEOUT_SECONDS}s")
        sock.close()
