"""Search: the results page with its filters (category, in stock, price band, each with the
search API's facet counts), and the type-ahead's suggestions — as a guest or as the shopper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bazaar_storefront.gateway_api import attempt
from bazaar_storefront.web import api, money, render

PAGE_SIZE = 12
SUGGESTIONS = 6


@dataclass(frozen=True, slots=True)
class PriceBand:
    """One of the search API's price bands ("1000-2499", "10000+"; minor units, inclusive)."""

    key: str
    low: int
    high: int | None

    @classmethod
    def parse(cls, key: str) -> PriceBand | None:
        """The band a `price` parameter names; None for anything else (the filter is dropped)."""
        low, dash, high = key.partition("-")
        if dash and low.isdecimal() and high.isdecimal() and int(low) <= int(high):
            return cls(key, int(low), int(high))
        if key.endswith("+") and key[:-1].isdecimal():
            return cls(key, int(key[:-1]), None)
        return None

    def label(self, currency: str = "USD") -> str:
        low = money({"amount": self.low, "currency": currency})
        if self.high is None:
            return f"{low} and up"
        return f"{low} to {money({'amount': self.high, 'currency': currency})}"


def price_filters(facets: dict[str, Any]) -> list[dict[str, Any]]:
    """The price bands of a result's facets, in order, each with its label and count."""
    bands = [(PriceBand.parse(key), count) for key, count in facets.get("price", {}).items()]
    return [
        {"key": band.key, "label": band.label(), "count": count}
        for band, count in sorted(
            ((band, count) for band, count in bands if band), key=lambda pair: pair[0].low
        )
    ]


async def suggest(request: web.Request) -> web.Response:
    """Type-ahead: up to 6 product names for what has been typed (none while search is away)."""
    query = request.query.get("q", "").strip()
    if len(query) < 2:
        return web.json_response({"items": []})
    reply = await attempt(api(request).search_products(query, limit=SUGGESTIONS))
    items = reply.value.items if reply.value is not None else []
    return web.json_response({"items": [{"sku": i.sku, "name": i.name} for i in items]})


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    in_stock = request.query.get("in_stock") == "true"
    band = PriceBand.parse(request.query.get("price", ""))
    listed = await attempt(api(request).categories())
    categories = listed.body.get("items", []) if listed.ok else []
    chosen = request.query.get("category", "")
    page: dict[str, Any] = {
        "query": query,
        "in_stock": in_stock,
        "categories": categories,
        "chosen": chosen,
        "price": band.key if band else "",
        "back": request.path_qs,  # an add-to-cart refused comes back to these results
    }
    if not query:
        return render(request, "search.html", result=None, unavailable=False, **page)
    reply = await attempt(
        api(request).search_products(
            query,
            limit=PAGE_SIZE,
            category_key=chosen,
            in_stock=in_stock,
            min_price=band.low if band else None,
            max_price=band.high if band else None,
        )
    )
    unavailable = not reply.ok  # 404 while search is not deployed, 5xx, or a refusal
    facets = {} if unavailable else reply.body.get("facets", {})
    return render(
        request,
        "search.html",
        result=None if unavailable else reply.body,
        unavailable=unavailable,
        category_counts=facets.get("category", {}),
        stock_counts=facets.get("in_stock", {}),
        price_bands=price_filters(facets),
        status=503 if unavailable else 200,
        **page,
    )
