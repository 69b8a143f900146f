"""Serving the aiohttp apps that are not services (the gateway, the storefront, the test payment
provider)."""

from __future__ import annotations

import uvloop
from aiohttp import web

from bazaar_chassis.runner import freeze_startup_heap


async def _freeze_startup_heap(_app: web.Application) -> None:
    freeze_startup_heap()


SHUTDOWN_SECONDS = 3.0  # what requests in progress get to finish once asked to stop
KEEPALIVE_SECONDS = 75.0  # aiohttp's own default: an idle connection is closed after it


def serve_aiohttp(
    app: web.Application, *, host: str, port: int, keepalive_seconds: float = KEEPALIVE_SECONDS
) -> None:
    """Serve `app` on uvloop until SIGINT/SIGTERM, quietly: these apps log what matters
    themselves. The heap is frozen once the app's own startup (its cleanup contexts) is done."""
    app.on_startup.append(_freeze_startup_heap)
    web.run_app(
        app,
        host=host,
        port=port,
        access_log=None,
        print=None,
        backlog=2048,
        shutdown_timeout=SHUTDOWN_SECONDS,
        keepalive_timeout=keepalive_seconds,
        loop=uvloop.new_event_loop(),
    )
