"""Composition root of the order service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_order import events
from bazaar_order.api import v1
from bazaar_order.consumers import HANDLERS
from bazaar_order.store import OrderStore

# Where an order's answers lead: follow it, cancel it (OpenAPI links).
ORDER = "/order/1/orders/{order_id}"
LINKS = (
    Links(
        sources=("POST /order/1/orders", f"POST {ORDER}/cancel"),
        targets=(f"GET {ORDER}", f"POST {ORDER}/cancel"),
        parameters={"order_id": "$response.body#/id"},
    ),
)

DEFINITION = ServiceDefinition(
    name="order",
    version=version("bazaar-order"),
    description=(
        "Orders made from carts, idempotently; their order, payment and fulfilment states move "
        "only by the facts inventory, promotion and payment publish (checkout by choreography)."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    handlers=HANDLERS,
    store=OrderStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
