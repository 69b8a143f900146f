"""Composition root of the promotion service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import Links, ServiceDefinition, ServiceSettings, create_app
from bazaar_promotion import events
from bazaar_promotion.api import v1
from bazaar_promotion.consumers import HANDLERS
from bazaar_promotion.store import PromotionStore

# Where a promotion's answers lead: read it, change it, give it codes (OpenAPI links).
PROMOTION = "/promotion/1/promotions/{promotion_id}"
LINKS = (
    Links(
        sources=("POST /promotion/1/promotions", f"PATCH {PROMOTION}"),
        targets=(f"GET {PROMOTION}", f"PATCH {PROMOTION}", f"POST {PROMOTION}/codes"),
        parameters={"promotion_id": "$response.body#/id"},
        body=Links.SAME_VERSION,
    ),
    Links(
        sources=(f"POST {PROMOTION}/codes",),
        targets=("GET /promotion/1/codes/{code}",),
        parameters={"code": "$response.body#/code"},
    ),
)

DEFINITION = ServiceDefinition(
    name="promotion",
    version=version("bazaar-promotion"),
    description=(
        "System of record for promotions and discount codes; counts each code's uses once per "
        "placed order and gives them back when the order is cancelled."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    handlers=HANDLERS,
    store=PromotionStore,
    links=LINKS,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
