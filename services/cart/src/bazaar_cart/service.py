"""Composition root of the cart service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_cart import events
from bazaar_cart.api import v1
from bazaar_cart.consumers import HANDLERS
from bazaar_cart.store import CartStore
from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app

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
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
