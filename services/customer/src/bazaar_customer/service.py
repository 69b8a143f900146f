"""Composition root of the customer service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_customer import events
from bazaar_customer.api import v1
from bazaar_customer.consumers import HANDLERS
from bazaar_customer.store import CustomerStore

DEFINITION = ServiceDefinition(
    name="customer",
    version=version("bazaar-customer"),
    description="Customer profiles, addresses and each customer's order history.",
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    handlers=HANDLERS,
    store=CustomerStore,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
