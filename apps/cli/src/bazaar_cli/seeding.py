"""Loads the demo catalog through the gateway's public API, like any client would (M11)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bazaar_cli.demo_data import CATEGORIES, PRODUCTS

CONCURRENCY = 8
DEMO_ADMIN = {"username": "admin@bazaar.test", "password": "bazaar-demo"}  # development mode only


class SeedFailed(Exception):
    pass


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, body: dict[str, Any]
) -> None:
    async with session.request(method, url, json=body) as response:
        if response.status == 409 and method == "POST":
            return  # already created by an earlier, interrupted seed
        if response.status >= 400:
            raise SeedFailed(f"{method} {url} -> {response.status}: {await response.text()}")


async def admin_token(session: aiohttp.ClientSession, gateway_url: str) -> str:
    """Sign in as the demo administrator, like any client of the public API."""
    async with session.post(
        gateway_url + "/identity/1/token", json={"grant_type": "password", **DEMO_ADMIN}
    ) as response:
        if response.status != 200:
            raise SeedFailed(
                f"cannot sign in as {DEMO_ADMIN['username']} ({response.status}); the demo "
                "accounts exist only in development mode"
            )
        body = await response.json()
    return str(body["access_token"])


async def seed(gateway_url: str, *, on_step: Callable[[], None] = lambda: None) -> int:
    """Create categories, products, prices, stock and placements; returns the request count."""
    limit = asyncio.Semaphore(CONCURRENCY)
    count = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        session.headers["Authorization"] = f"Bearer {await admin_token(session, gateway_url)}"

        async def call(method: str, path: str, body: dict[str, Any]) -> None:
            nonlocal count
            async with limit:
                await _call(session, method, gateway_url + path, body)
            count += 1
            on_step()

        async def run_all(calls: Sequence[Awaitable[None]]) -> None:
            await asyncio.gather(*calls)

        for key, name, parent, position in CATEGORIES:  # parents before children
            await call(
                "PUT",
                f"/category/1/categories/{key}",
                {
                    "name": name,
                    "parent": parent,
                    "position": position,
                },
            )
        await run_all(
            [
                call(
                    "POST",
                    "/product/1/products",
                    {
                        "sku": p.sku,
                        "name": p.name,
                        "description": p.description,
                        "attributes": p.attributes,
                    },
                )
                for p in PRODUCTS
            ]
        )
        await run_all(
            [
                call("PUT", f"/pricing/1/prices/{p.sku}", {"amount": p.price, "currency": "USD"})
                for p in PRODUCTS
            ]
            + [call("PUT", f"/inventory/1/stock/{p.sku}", {"quantity": p.stock}) for p in PRODUCTS]
            + [
                call(
                    "PUT",
                    f"/category/1/categories/{p.category}/products/{p.sku}",
                    {"position": position},
                )
                for position, p in enumerate(PRODUCTS)
            ]
        )
    return count


def seed_request_count() -> int:
    return len(CATEGORIES) + 4 * len(PRODUCTS)


def seeded_pages() -> dict[str, set[tuple[str, int, int]]]:
    """What the catalog shows once it has applied the seed: per category, (sku, price, stock)."""
    pages: dict[str, set[tuple[str, int, int]]] = {}
    for p in PRODUCTS:
        pages.setdefault(p.category, set()).add((p.sku, p.price, p.stock))
    return pages
