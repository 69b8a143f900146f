"""Loads the demo catalog through the gateway's public API with the typed client (libs/client),
like any client would (M11): the seed is the platform's own first user of its contract."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bazaar_cli.demo_data import CATEGORIES, PRODUCTS, PROMOTIONS, DemoPromotion
from bazaar_client import ApiProblem, BazaarClient

CONCURRENCY = 8
DEMO_ADMIN = {"username": "admin@bazaar.test", "password": "bazaar-demo"}  # development mode only


class SeedFailed(Exception):
    pass


async def _seed_promotion(api: BazaarClient, promotion: DemoPromotion) -> int:
    """The promotion and its code, once: a seed interrupted after them finds the code and skips.
    Returns the request count."""
    if await api.find_code(promotion.code) is not None:
        return 1
    created = await api.create_promotion(promotion.terms)
    await _unless_created_before(
        api.add_code(created.id, code=promotion.code, usage_limit=promotion.usage_limit)
    )
    return 3


async def _unless_created_before(call: Awaitable[object]) -> None:
    try:
        await call
    except ApiProblem as problem:
        if problem.status != 409:  # 409: already created by an earlier, interrupted seed
            raise


async def seed(gateway_url: str, *, on_step: Callable[[], None] = lambda: None) -> int:
    """Create categories, products, prices, stock, placements and the demo promotions through
    the typed client of the public API; returns the request count."""
    try:
        return await _seed(gateway_url, on_step)
    except ApiProblem as problem:
        raise SeedFailed(str(problem)) from problem


async def _seed(gateway_url: str, on_step: Callable[[], None]) -> int:
    limit = asyncio.Semaphore(CONCURRENCY)
    count = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        api = BazaarClient(session, gateway_url)
        try:
            await api.sign_in(DEMO_ADMIN["username"], DEMO_ADMIN["password"])
        except ApiProblem as problem:
            raise SeedFailed(
                f"cannot sign in as {DEMO_ADMIN['username']} ({problem.status}); the demo "
                "accounts exist only in development mode"
            ) from problem

        async def call(step: Awaitable[object]) -> None:
            nonlocal count
            async with limit:
                await step
            count += 1
            on_step()

        async def categories() -> None:
            for key, name, parent, position in CATEGORIES:  # parents before children
                await call(api.put_category(key, name=name, parent=parent, position=position))

        async def promotions() -> None:
            nonlocal count
            for promotion in PROMOTIONS:
                requests = await _seed_promotion(api, promotion)
                count += requests
                on_step()

        # What depends on nothing else goes at once; prices, stock and placements wait for
        # their products (and placements for their categories).
        await asyncio.gather(
            categories(),
            promotions(),
            *(
                call(
                    _unless_created_before(
                        api.create_product(
                            sku=p.sku,
                            name=p.name,
                            description=p.description,
                            attributes=p.attributes,
                        )
                    )
                )
                for p in PRODUCTS
            ),
        )
        await asyncio.gather(
            *(call(api.put_price(p.sku, amount=p.price, currency="USD")) for p in PRODUCTS),
            *(call(api.put_stock(p.sku, quantity=p.stock)) for p in PRODUCTS),
            *(
                call(api.place_product(p.category, p.sku, position=position))
                for position, p in enumerate(PRODUCTS)
            ),
        )
    return count


def seed_request_count() -> int:
    return len(CATEGORIES) + 4 * len(PRODUCTS) + len(PROMOTIONS)


def seeded_pages() -> dict[str, set[tuple[str, int, int]]]:
    """What the catalog shows once it has applied the seed: per category, (sku, price, stock)."""
    pages: dict[str, set[tuple[str, int, int]]] = {}
    for p in PRODUCTS:
        pages.setdefault(p.category, set()).add((p.sku, p.price, p.stock))
    return pages
