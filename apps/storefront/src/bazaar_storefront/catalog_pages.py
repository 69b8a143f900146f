"""Browsing: the home page's categories, a category's products and one product — all read from
the catalog API as a guest or as the signed-in shopper (search: search_pages)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bazaar_storefront.gateway_api import Reply, attempt
from bazaar_storefront.web import api, render

PAGE_SIZE = 12


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return max(1, int(raw)) if raw.isdecimal() else 1


def _failed(
    request: web.Request, reply: Reply[Any], *, missing: tuple[str, str]
) -> web.Response | None:
    """The error page for a catalog reply that is not a success: 404 says what is `missing`."""
    if reply.ok:
        return None
    if reply.status == 404:
        return render(request, "error.html", status=404, title=missing[0], message=missing[1])
    return render(
        request, "error.html", status=503, title="Catalog unavailable", message=reply.detail
    )


async def home(request: web.Request) -> web.Response:
    reply = await attempt(api(request).categories())
    categories = reply.body.get("items", []) if reply.ok else []
    return render(request, "home.html", categories=categories, unavailable=not reply.ok)


async def category(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    page = _page_number(request)
    reply = await attempt(
        api(request).category_page(key, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    if failed := _failed(
        request, reply, missing=("No such category", f"There is no category “{key}”.")
    ):
        return failed
    total = int(reply.body.get("total", 0))
    return render(
        request,
        "category.html",
        category=reply.body.get("category", {"key": key, "name": key}),
        items=reply.body.get("items", []),
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
    )


async def product(request: web.Request) -> web.Response:
    sku = request.match_info["sku"]
    reply = await attempt(api(request).catalog_product(sku))
    status = reply.body.get("product_status")
    why = f" It has been {status}." if status else ""
    missing = ("Product not available", f"The product {sku} is not on sale.{why}")
    if failed := _failed(request, reply, missing=missing):
        return failed
    return render(request, "product.html", item=reply.body)
