"""Asks each process whether it is ready, over HTTP, the way an orchestrator would; and asks the
catalog, through the gateway like any guest, whether its pages show what was seeded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp


async def probe(
    session: aiohttp.ClientSession, url: str, *, token: str | None = None
) -> dict[str, Any] | None:
    """The JSON of `GET url`, or None if it cannot be had (not listening yet, error status)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with session.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=1.0)
        ) as response:
            if response.status != 200:
                return None
            body: dict[str, Any] = await response.json()
            return body
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def service_ready(session: aiohttp.ClientSession, base_url: str) -> bool:
    body = await probe(session, f"{base_url}/readyz")
    return body is not None and body.get("status") == "ready"


async def gateway_routes(
    session: aiohttp.ClientSession, base_url: str, names: set[str], *, token: str | None = None
) -> bool:
    """The gateway is ready once it routes to every one of `names` (its operations `token`
    shows what it routes to: the gateway tells no one else)."""
    body = await probe(session, f"{base_url}/readyz", token=token)
    return body is not None and names <= set(body.get("services", []))


Listing = tuple[str, int, int]  # sku, price in cents, available


async def catalog_shows(
    session: aiohttp.ClientSession, gateway_url: str, pages: Mapping[str, set[Listing]]
) -> int:
    """How many of the expected listings the catalog's category pages already show, as a guest
    reading `GET /catalog/1/categories/<key>/products` would see them."""
    shown = 0
    for key, expected in pages.items():
        url = f"{gateway_url}/catalog/1/categories/{key}/products?limit=100"
        body = await probe(session, url)
        items = body.get("items", []) if body else []
        listed = {
            (item["sku"], item["price"]["amount"], item["available"])
            for item in items
            if item.get("price")
        }
        shown += len(expected & listed)
    return shown
