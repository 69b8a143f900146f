"""`python -m bazaar_storefront`: serve the storefront (BAZAAR_* settings) on its own port."""

from __future__ import annotations

from bazaar_chassis.runner import exit_with_parent
from bazaar_platform.serving import serve_aiohttp
from bazaar_storefront.app import build_app
from bazaar_storefront.settings import StorefrontSettings


def main() -> None:
    exit_with_parent()
    settings = StorefrontSettings()
    serve_aiohttp(build_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
