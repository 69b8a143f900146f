"""The naive page assembler of the seed's figure 2-11, for scenario P1 (b).

Without a read model, a category page with 10 products is assembled on every request by calling
the systems of record: the category (which products, in which order), then for each product the
product service (name, status), pricing (price) and inventory (stock) — 1 + 3 x 10 = 31 calls,
all through the gateway, as any client must make them. This is the *kindest* form of that
fan-out: the 30 per-product calls go out at once (asyncio.gather) over a keep-alive pool, and the
process is as lean as the gateway itself (aiohttp + uvloop + orjson). Real fan-out code is often
sequential, or adds retries and timeouts per call, and is slower still.

Run as `python -m bench.assembler --port N --gateway URL`; it signs in as the demo merchandiser
(the only demo role that may read all four services) and serves `GET /page/<category>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import uvloop
from aiohttp import web

POOL_CONNECTIONS = 64  # below the gateway's per-upstream in-flight limit (256): no 503 storms
TOKEN_REFRESH_SECONDS = 600.0  # the demo tokens live 15 minutes
MERCHANDISER = {"username": "merch@bazaar.test", "password": "bazaar-demo"}
SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session", aiohttp.ClientSession)
GATEWAY: web.AppKey[str] = web.AppKey("gateway", str)
HEADERS: web.AppKey[dict[str, str]] = web.AppKey("headers", dict)


class UpstreamError(Exception):
    pass


async def _sign_in(session: aiohttp.ClientSession, gateway: str) -> str:
    async with session.post(
        gateway + "/identity/1/token", data={"grant_type": "password", **MERCHANDISER}
    ) as reply:
        if reply.status != 200:
            raise UpstreamError(f"sign-in failed: {reply.status} {await reply.text()}")
        body = await reply.json()
    return str(body["access_token"])


async def _get(app: web.Application, path: str) -> tuple[int, Any]:
    async with app[SESSION].get(app[GATEWAY] + path, headers=app[HEADERS]) as reply:
        body = await reply.read()
        if reply.status not in (200, 404):
            raise UpstreamError(f"GET {path} -> {reply.status}: {body[:200]!r}")
        return reply.status, orjson.loads(body) if reply.status == 200 else None


async def _item(app: web.Application, sku: str) -> dict[str, Any] | None:
    (_, product), (price_status, price), (stock_status, stock) = await asyncio.gather(
        _get(app, f"/product/1/products/{sku}"),
        _get(app, f"/pricing/1/prices/{sku}"),
        _get(app, f"/inventory/1/stock/{sku}"),
    )
    if product is None or product["status"] != "active":
        return None
    available = int(stock["available"]) if stock_status == 200 else 0
    return {
        "sku": sku,
        "name": product["name"],
        "price": {"amount": price["amount"], "currency": price["currency"]}
        if price_status == 200
        else None,
        "available": available,
        "in_stock": available > 0,
    }


async def page(request: web.Request) -> web.Response:
    """The same category page the catalog serves in one call, assembled from 31 calls."""
    app = request.app
    key = request.match_info["key"]
    limit = int(request.query.get("limit", "10"))
    offset = int(request.query.get("offset", "0"))
    status, category = await _get(app, f"/category/1/categories/{key}")
    if status == 404:
        raise web.HTTPNotFound()
    placed = category["products"][offset : offset + limit]
    items = await asyncio.gather(*(_item(app, p["sku"]) for p in placed))
    body = {
        "category": {
            "key": category["key"],
            "name": category["name"],
            "parent": category["parent"],
            "position": category["position"],
        },
        # Exact only if every product is active: counting listed products would need the
        # status of every product in the category, i.e. even more calls.
        "total": len(category["products"]),
        "limit": limit,
        "offset": offset,
        "items": [item for item in items if item is not None],
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json")


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=POOL_CONNECTIONS, keepalive_timeout=60)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        app[SESSION] = session
        app[HEADERS]["Authorization"] = f"Bearer {await _sign_in(session, app[GATEWAY])}"

        async def refresh() -> None:
            while True:
                await asyncio.sleep(TOKEN_REFRESH_SECONDS)
                token = await _sign_in(session, app[GATEWAY])
                app[HEADERS]["Authorization"] = f"Bearer {token}"

        task = asyncio.create_task(refresh())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def build_app(gateway: str) -> web.Application:
    app = web.Application()
    app[GATEWAY] = gateway.rstrip("/")
    app[HEADERS] = {}
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/page/{key}", page)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gateway", required=True)
    args = parser.parse_args()
    web.run_app(
        build_app(args.gateway),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        backlog=2048,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
