"""`python -m bazaar_gateway`: run the API gateway."""

from __future__ import annotations

import uvloop
from aiohttp import web

from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import exit_with_parent
from bazaar_gateway.app import build_app
from bazaar_gateway.settings import GatewaySettings


def main() -> None:
    exit_with_parent()
    settings = GatewaySettings()
    configure_logging(service="gateway", version="1.0.0", level=settings.log_level)
    web.run_app(
        build_app(settings),
        host=settings.host,
        port=settings.gateway_port,
        access_log=None,
        print=None,
        backlog=2048,
        shutdown_timeout=3.0,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
