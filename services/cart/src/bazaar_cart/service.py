"""Composition root of the cart service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_cart import events
from bazaar_cart.api import v1
from bazaar_cart.consumers import HANDLERS
from bazaar_cart.store import CartStore
from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app

# Where a cart's answers lead: read it, fill it, change and remove lines, add and remove
# codes (OpenAPI links); a guest's cart token comes from the cart's creation.
CART = "/cart/1/carts/{cart_id}"
CART_WRITES = (f"POST {CART}/items", f"POST {CART}/discount-codes")
LINKS = (
    Links(
        sources=("POST /cart/1/carts",),
        targets=(f"GET {CART}", *CART_WRITES),
        parameters={
            "cart_id": "$response.body#/id",
            "Bazaar-Cart-Token": "$response.body#/cart_token",
        },
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=(f"POST {CART}/items",),
        targets=(f"GET {CART}", f"PATCH {CART}/items/{{sku}}", f"DELETE {CART}/items/{{sku}}"),
        parameters={
            "cart_id": "$response.body#/id",
            "sku": "$request.body#/sku",
            "Bazaar-Cart-Token": "$request.header.Bazaar-Cart-Token",
        },
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=(f"POST {CART}/discount-codes",),
        targets=(f"GET {CART}", f"DELETE {CART}/discount-codes/{{code}}"),
        parameters={
            "cart_id": "$response.body#/id",
            "code": "$request.body#/code",
            "Bazaar-Cart-Token": "$request.header.Bazaar-Cart-Token",
        },
    ),
)

DEFINITION = ServiceDefinition(
    name="cart",
    version=version("bazaar-cart"),
    description=(
        "Shopping carts: lines with a product and price snapshot, stock checked with inventory, "
        "totals from the cart's copy of promotions; guest carts by token, merged at sign-in."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    handlers=HANDLERS,
    store=CartStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
