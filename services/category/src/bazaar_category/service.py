"""Composition root of the category service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_category import events
from bazaar_category.api import v1
from bazaar_category.store import CategoryStore
from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app

# Where a category's answers lead: read it, change it, place products in it (OpenAPI links).
CATEGORY = "/category/1/categories/{key}"
LINKS = (
    Links(
        sources=(f"PUT {CATEGORY}",),
        targets=(f"GET {CATEGORY}", f"PUT {CATEGORY}", f"PUT {CATEGORY}/products/{{sku}}"),
        parameters={"key": "$request.path.key"},
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=(f"PUT {CATEGORY}/products/{{sku}}",),
        targets=(f"PUT {CATEGORY}/products/{{sku}}", f"DELETE {CATEGORY}/products/{{sku}}"),
        parameters={"key": "$request.path.key", "sku": "$request.path.sku"},
        body=Links.SAME_VERSION,
    ),
)

DEFINITION = ServiceDefinition(
    name="category",
    version=version("bazaar-category"),
    description="The category tree, which products sit in each category, and in what order.",
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=CategoryStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
