"""`python -m bazaar_gateway`: run the API gateway."""

from __future__ import annotations

import asyncio
import signal

import uvloop
from aiohttp import web

from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import exit_with_parent, freeze_startup_heap
from bazaar_gateway.app import build_app
from bazaar_gateway.front import serve_front, stop_front
from bazaar_gateway.settings import GatewaySettings
from bazaar_platform.serving import SHUTDOWN_SECONDS, serve_aiohttp


async def _serve_with_front(app: web.Application, settings: GatewaySettings) -> None:
    """The lean front on the gateway's port, aiohttp behind it, until SIGINT or SIGTERM."""
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.keepalive_seconds)
    await runner.setup()  # the app's start-up: the bus, the directory, the policy
    freeze_startup_heap()
    try:
        server, connections = await serve_front(
            runner, host=settings.host, port=settings.gateway_port
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await stop_front(server, connections, grace_seconds=SHUTDOWN_SECONDS)
    finally:
        await runner.cleanup()


def main() -> None:
    exit_with_parent()
    settings = GatewaySettings()
    configure_logging(service="gateway", version="1.0.0", level=settings.log_level)
    app = build_app(settings)
    if settings.gateway_front == "aiohttp":
        serve_aiohttp(
            app,
            host=settings.host,
            port=settings.gateway_port,
            keepalive_seconds=settings.keepalive_seconds,
        )
    else:
        uvloop.run(_serve_with_front(app, settings))


if __name__ == "__main__":
    main()
