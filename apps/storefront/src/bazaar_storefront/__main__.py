"""`python -m bazaar_storefront`: serve the storefront (BAZAAR_* settings) on its own port."""

from __future__ import annotations

from aiohttp import web

from bazaar_chassis.runner import exit_with_parent
from bazaar_storefront.app import build_app
from bazaar_storefront.settings import StorefrontSettings


def main() -> None:
    exit_with_parent()
    settings = StorefrontSettings()
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
