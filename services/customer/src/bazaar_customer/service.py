"""Composition root of the customer service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_customer import events
from bazaar_customer.api import v1
from bazaar_customer.consumers import HANDLERS
from bazaar_customer.store import CustomerStore

# Where a customer's answers lead: their profile, their addresses (OpenAPI links).
ADDRESS = "/customer/1/customers/me/addresses/{label}"
LINKS = (
    Links(
        sources=(f"PUT {ADDRESS}",),
        targets=("GET /customer/1/customers/me", f"PUT {ADDRESS}", f"DELETE {ADDRESS}"),
        parameters={"label": "$request.path.label"},
    ),
    Links(
        sources=("GET /customer/1/customers/me", f"PUT {ADDRESS}"),
        targets=("GET /customer/1/customers/{subject}",),
        parameters={"subject": "$response.body#/subject"},
    ),
)

DEFINITION = ServiceDefinition(
    name="customer",
    version=version("bazaar-customer"),
    description="Customer profiles, addresses and each customer's order history.",
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    handlers=HANDLERS,
    store=CustomerStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
