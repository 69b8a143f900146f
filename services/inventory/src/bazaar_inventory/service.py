"""Composition root of the inventory service: two API majors on one store, plus expiry."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_inventory import events
from bazaar_inventory.api import v1, v2
from bazaar_inventory.consumers import HANDLERS
from bazaar_inventory.expiry import expire_reservations
from bazaar_inventory.store import InventoryStore

# Where stock and reservations lead: read, change, reserve, release (OpenAPI links).
STOCK = "/inventory/1/stock/{sku}"
RESERVATION = "/inventory/1/reservations/{reservation_id}"
LINKS = (
    Links(
        sources=(f"PUT {STOCK}",),
        targets=(
            f"GET {STOCK}",
            f"PUT {STOCK}",
            "GET /inventory/1/stock",
            "POST /inventory/1/reservations",
            "GET /inventory/2/stock/{sku}",
        ),
        parameters={"sku": "$request.path.sku", "skus": "$request.path.sku"},
        body={**Links.SAME_VERSION, "sku": "$request.path.sku"},
    ),
    Links(
        sources=("PUT /inventory/2/stock/{sku}/locations/{location}",),
        targets=(
            "GET /inventory/2/stock/{sku}",
            "PUT /inventory/2/stock/{sku}/locations/{location}",
        ),
        parameters={"sku": "$request.path.sku", "location": "$request.path.location"},
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=("POST /inventory/1/reservations",),
        targets=(f"GET {RESERVATION}", f"DELETE {RESERVATION}", f"GET {STOCK}"),
        parameters={"reservation_id": "$response.body#/id", "sku": "$response.body#/sku"},
    ),
)

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
    handlers=HANDLERS,
    background=[expire_reservations],
    store=InventoryStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
