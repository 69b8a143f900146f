"""The cart's synchronous reads (ADR 6): inventory's stock and the catalog's product snapshot.

Both go through the gateway with the cart's own service token (`Runtime.http`); an answer the
cart cannot use becomes 503 problem+json, never a 500.
"""

from __future__ import annotations

from typing import Any

from bazaar_cart.domain import NotForSale, ProductSnapshot, UnknownProduct
from bazaar_cart.use_cases import ProductLookup, StockLookup
from bazaar_chassis import Money, Runtime, Unavailable


def _unavailable(what: str, status: int, sku: str) -> Unavailable:
    return Unavailable(f"{what} answered {status} for {sku}; try again shortly")


def _problem(body: Any, slug: str) -> bool:
    """Whether `body` is the owning service's problem `slug` (not, say, the gateway's 404 for a
    service that has no instance registered)."""
    return isinstance(body, dict) and str(body.get("type", "")).endswith("/" + slug)


def stock_lookup(runtime: Runtime) -> StockLookup:
    """Inventory's available quantity of a SKU (0 for a SKU inventory has never stocked)."""

    async def available(sku: str) -> int:
        reply = await runtime.http.get(f"/inventory/1/stock/{sku}")
        if reply.status == 404 and _problem(reply.body, "sku-not-stocked"):
            return 0
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise _unavailable("inventory", reply.status, sku)
        return int(reply.body["available"])

    return available


def product_lookup(runtime: Runtime) -> ProductLookup:
    """The catalog's name, displayed price and categories of a SKU that is on sale."""

    async def snapshot(sku: str) -> ProductSnapshot:
        reply = await runtime.http.get(f"/catalog/1/products/{sku}")
        body: Any = reply.body
        if reply.status == 404 and _problem(body, "item-not-listed"):
            status = body.get("product_status")
            if status:
                raise NotForSale(sku, f"the product is {status}")
            raise UnknownProduct(sku)
        if reply.status != 200 or not isinstance(body, dict):
            raise _unavailable("the catalog", reply.status, sku)
        price = body.get("price")
        return ProductSnapshot(
            sku=sku,
            name=str(body["name"]),
            price=Money(int(price["amount"]), str(price["currency"])) if price else None,
            categories=tuple(str(c) for c in body.get("categories", ())),
        )

    return snapshot
