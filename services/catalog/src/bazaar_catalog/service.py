"""Composition root of the catalog service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp

from bazaar_catalog.api import v1
from bazaar_catalog.consumers import HANDLERS
from bazaar_catalog.kept_answers import KeptAnswersMiddleware
from bazaar_catalog.quick_reads import QuickReads
from bazaar_catalog.store import CURRENT_GENERATION, CatalogStore
from bazaar_chassis import Links, Runtime, ServiceDefinition, ServiceSettings, create_app

# Where the catalog's answers lead: a category's products, a product (OpenAPI links).
LINKS = (
    Links(
        sources=("GET /catalog/1/categories",),
        targets=("GET /catalog/1/categories/{key}/products",),
        parameters={"key": "$response.body#/items/0/key"},
    ),
    Links(
        sources=("GET /catalog/1/categories/{key}/products",),
        targets=("GET /catalog/1/products/{sku}",),
        parameters={"sku": "$response.body#/items/0/sku"},
    ),
)


def keep_hot_reads(app: ASGIApp, runtime: Runtime) -> ASGIApp:
    """The hot reads depend on nothing but their path, query and the read model (a product asked
    with `forceInventorySync` asks inventory too): their answers are sent again while no event
    has been applied since (the generation, bumped in consumers.py)."""
    return KeptAnswersMiddleware(
        app,
        generation=lambda: runtime.read_value(CURRENT_GENERATION),
        endpoints=(v1.list_categories, v1.category_products, v1.product),
        never_with=("forceInventorySync",),
    )


DEFINITION = ServiceDefinition(
    name="catalog",
    version=version("bazaar-catalog"),
    description=(
        "The product-catalog read model (M6): products, prices, stock and categories, "
        "denormalized from events so that a category page is one call."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    handlers=HANDLERS,
    store=CatalogStore,
    links=LINKS,
    middleware=(keep_hot_reads,),
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    app = create_app(DEFINITION, settings)
    QuickReads(app.state.runtime, CatalogStore)
    return app
