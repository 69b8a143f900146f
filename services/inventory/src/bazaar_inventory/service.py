"""Composition root of the inventory service: two API majors on one store, plus expiry."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_inventory import events
from bazaar_inventory.api import v1, v2
from bazaar_inventory.expiry import expire_reservations
from bazaar_inventory.store import InventoryStore

DEFINITION = ServiceDefinition(
    name="inventory",
    version=version("bazaar-inventory"),
    description=(
        "Stock per SKU per location and reservations with expiry; "
        "reservations are atomic conditional updates, so concurrent checkouts never oversell."
    ),
    apis={1: v1.router, 2: v2.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    background=[expire_reservations],
    store=InventoryStore,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
