"""Serving the aiohttp apps that are not services (the storefront, the test payment provider)."""

from __future__ import annotations

from aiohttp import web


def serve_aiohttp(app: web.Application, *, host: str, port: int) -> None:
    """Serve `app` until SIGINT/SIGTERM, quietly: these apps log what matters themselves."""
    web.run_app(app, host=host, port=port, access_log=None, print=None, shutdown_timeout=3.0)
