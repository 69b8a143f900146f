"""Composition root of the pricing service."""

from __future__ import annotations

from datetime import date
from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Deprecation, Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_pricing import events
from bazaar_pricing.api import v1, v2
from bazaar_pricing.store import PriceStore

# Where a price's answers lead: read it, its list, change it, quote it (OpenAPI links).
LINKS = (
    Links(
        sources=("PUT /pricing/1/prices/{sku}",),
        targets=(
            "GET /pricing/1/prices/{sku}",
            "PUT /pricing/1/prices/{sku}",
            "GET /pricing/1/prices",
            "GET /pricing/2/prices/{sku}",
        ),
        parameters={"sku": "$request.path.sku", "skus": "$request.path.sku"},
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=("PUT /pricing/2/prices/{sku}",),
        targets=(
            "GET /pricing/2/prices/{sku}",
            "PUT /pricing/2/prices/{sku}",
            "GET /pricing/2/prices/{sku}/quote",
        ),
        parameters={"sku": "$request.path.sku"},
        body=Links.SAME_VERSION,
    ),
)

DEFINITION = ServiceDefinition(
    name="pricing",
    version=version("bazaar-pricing"),
    description="System of record for prices per SKU: currencies, tiers, groups, validity windows.",
    apis={1: v1.router, 2: v2.router},
    # v2 reads and writes everything v1 does; v1 stays the default until it is retired
    deprecated_majors={1: Deprecation(since=date(2026, 12, 1), sunset=date(2027, 6, 30))},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=PriceStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
