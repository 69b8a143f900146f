"""`python -m bazaar_payment_provider`: run the test payment provider (BAZAAR_* settings)."""

from __future__ import annotations

from aiohttp import web

from bazaar_chassis.runner import exit_with_parent
from bazaar_payment_provider.app import ProviderSettings, build_app


def main() -> None:
    exit_with_parent()
    settings = ProviderSettings()
    web.run_app(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=3.0,
    )


if __name__ == "__main__":
    main()
