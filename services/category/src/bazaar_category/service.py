"""Composition root of the category service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_category import events
from bazaar_category.api import v1
from bazaar_category.store import CategoryStore
from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app

DEFINITION = ServiceDefinition(
    name="category",
    version=version("bazaar-category"),
    description="The category tree, which products sit in each category, and in what order.",
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    publishes=sorted(events.SCHEMAS),
    store=CategoryStore,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
