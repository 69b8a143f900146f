"""Composition root of the promotion service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_promotion import events
from bazaar_promotion.api import v1
from bazaar_promotion.consumers import HANDLERS
from bazaar_promotion.store import PromotionStore

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
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
