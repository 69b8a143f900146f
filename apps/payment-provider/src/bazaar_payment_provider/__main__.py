"""`python -m bazaar_payment_provider`: run the test payment provider (BAZAAR_* settings)."""

from __future__ import annotations

from bazaar_chassis.runner import exit_with_parent
from bazaar_payment_provider.app import ProviderSettings, build_app
from bazaar_platform.serving import serve_aiohttp


def main() -> None:
    exit_with_parent()
    settings = ProviderSettings()
    serve_aiohttp(build_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
