"""Serving the aiohttp apps that are not services (the gateway, the storefront, the test payment
provider)."""

from __future__ import annotations

import uvloop
from aiohttp import web

from bazaar_chassis.runner import freeze_startup_heap


async def _freeze_startup_heap(_app: web.Application) -> None:
    freeze_startup_heap()


def serve_aiohttp(app: web.Application, *, host: str, port: int) -> None:
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
        shutdown_timeout=3.0,
        loop=uvloop.new_event_loop(),
    )
