"""The storefront application: routes, the session middleware, and its one HTTP client to the
gateway. Pages live at `/` and under `/shop/`; the gateway forwards exactly those to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from bazaar_storefront import account_pages, cart_pages, catalog_pages, search_pages
from bazaar_storefront.gateway_api import GatewayApi
from bazaar_storefront.session import SessionCodec
from bazaar_storefront.settings import StorefrontSettings
from bazaar_storefront.web import API, CODEC, SECURE_COOKIE, TEMPLATES, sessions, templates

STATIC = Path(__file__).parent / "static"


async def ready(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


def build_app(settings: StorefrontSettings) -> web.Application:
    app = web.Application(middlewares=[sessions], client_max_size=64 * 1024)
    app[CODEC] = SessionCodec(settings.session_key())
    app[TEMPLATES] = templates()
    app[SECURE_COOKIE] = settings.storefront_cookie_secure

    async def client(app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=settings.storefront_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            app[API] = GatewayApi(http, settings.gateway_url)
            yield

    app.cleanup_ctx.append(client)
    r = app.router
    r.add_get("/healthz", ready)
    r.add_get("/readyz", ready)
    r.add_get("/", catalog_pages.home)
    r.add_get("/shop/categories/{key}", catalog_pages.category)
    r.add_get("/shop/products/{sku}", catalog_pages.product)
    r.add_get("/shop/search", search_pages.search)
    r.add_get("/shop/search/suggest", search_pages.suggest)
    r.add_get("/shop/cart", cart_pages.cart)
    r.add_post("/shop/cart/items", cart_pages.add_item)
    r.add_post("/shop/cart/items/{sku}", cart_pages.update_item)
    r.add_post("/shop/cart/codes", cart_pages.apply_code)
    r.add_get("/shop/checkout", cart_pages.checkout_form)
    r.add_post("/shop/checkout", cart_pages.place_order)
    r.add_get("/shop/sign-in", account_pages.sign_in_form)
    r.add_post("/shop/sign-in", account_pages.sign_in)
    r.add_post("/shop/sign-out", account_pages.sign_out)
    r.add_get("/shop/account", account_pages.account)
    r.add_get("/shop/orders", account_pages.orders)
    r.add_get("/shop/orders/{order_id}", account_pages.order)
    r.add_get("/shop/orders/{order_id}/status", account_pages.order_status)
    r.add_static("/shop/static", STATIC)
    return app
