"""`python -m bazaar_gateway`: run the API gateway."""

from __future__ import annotations

from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import exit_with_parent
from bazaar_gateway.app import build_app
from bazaar_gateway.settings import GatewaySettings
from bazaar_platform.serving import serve_aiohttp


def main() -> None:
    exit_with_parent()
    settings = GatewaySettings()
    configure_logging(service="gateway", version="1.0.0", level=settings.log_level)
    serve_aiohttp(build_app(settings), host=settings.host, port=settings.gateway_port)


if __name__ == "__main__":
    main()
