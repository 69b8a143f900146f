"""Composition root of the product service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_product import events
from bazaar_product.api import v1
from bazaar_product.store import ProductStore

# Where a product's answers lead: read it, change it, recall it (OpenAPI links).
PRODUCT = "/product/1/products/{sku}"
LINKS = (
    Links(
        sources=("POST /product/1/products", f"PATCH {PRODUCT}", f"POST {PRODUCT}/recall"),
        targets=(f"GET {PRODUCT}", f"PATCH {PRODUCT}", f"POST {PRODUCT}/recall"),
        parameters={"sku": "$response.body#/sku"},
        body=Links.SAME_VERSION,
    ),
)

DEFINITION = ServiceDefinition(
    name="product",
    version=version("bazaar-product"),
    description="System of record for product data: SKU, name, description, attributes, status.",
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=ProductStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
