"""Composition root of the search service."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_search.api import v1
from bazaar_search.consumers import HANDLERS
from bazaar_search.store import SearchStore

DEFINITION = ServiceDefinition(
    name="search",
    version=version("bazaar-search"),
    description=(
        "Full-text product search (M6): a read model of products, prices, stock and categories "
        "fed by events, with relevance ranking, type-ahead, one-typo tolerance, filters and facets."
    ),
    apis={1: v1.router},
    migrations=Path(__file__).parent / "migrations" / "versions",
    handlers=HANDLERS,
    store=SearchStore,
)


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_app(DEFINITION, settings)
