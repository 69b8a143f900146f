"""Composition root of the console: its API and web UI behind the gateway, the OTLP/HTTP
receiver (`POST /v1/traces`) every process exports its spans to, called directly, not routed,
and the scrape targets Prometheus discovers (`GET /prometheus/targets`, operations token only).

Background jobs scrape the gateway's and every instance's metrics every few seconds (unless
Prometheus does) and keep the stores bounded.
"""

from __future__ import annotations

import time
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from bazaar_chassis import (
    BackgroundJob,
    InvalidInput,
    Runtime,
    ServiceDefinition,
    ServiceSettings,
    Unauthorized,
    create_app,
    repeat,
)
from bazaar_console import counters, scrape, traces
from bazaar_console.api import v1
from bazaar_console.otlp import BadExport, span_rows
from bazaar_console.settings import ConsoleSettings
from bazaar_console.state import Console
from bazaar_console.ui import pages
from bazaar_platform.instances import live_instances

OTLP_TRACES = "/v1/traces"
TARGETS = "/prometheus/targets"
PRUNE_SECONDS = 60.0

major_1 = APIRouter()
major_1.include_router(v1.router)
major_1.include_router(pages)

DEFINITION = ServiceDefinition(
    name="console",
    version=version("bazaar-console"),
    description="The operator console: what is live, what flows on the bus, how each API and "
    "release performs, traces across services and the dead letters.",
    apis={1: major_1},
    migrations=Path(__file__).parent / "migrations" / "versions",
    open_paths=frozenset({OTLP_TRACES, TARGETS}),
)


def _receiver(app: FastAPI) -> None:
    @app.post(OTLP_TRACES, include_in_schema=False)
    async def receive_spans(request: Request) -> Response:
        content_type = request.headers.get("content-type", "application/x-protobuf")
        try:
            rows = span_rows(await request.body(), content_type)
        except BadExport as exc:
            raise InvalidInput(str(exc)) from exc
        runtime: Runtime = request.app.state.runtime
        async with runtime.database.transaction() as connection:
            await traces.keep(connection, rows)
        if content_type.startswith("application/json"):
            return Response(b"{}", media_type="application/json")
        return Response(b"", media_type="application/x-protobuf")


def _targets(app: FastAPI) -> None:
    @app.get(TARGETS, include_in_schema=False)
    async def scrape_targets(request: Request) -> list[dict[str, Any]]:
        """Every registered instance, for Prometheus's HTTP service discovery; for the holder of
        the operations token only (the list is the topology)."""
        console: Console = request.app.state.console
        if not console.has_operations_token(request.headers.get("authorization")):
            raise Unauthorized(
                "the scrape targets are for Prometheus: present the operations token"
            )
        runtime: Runtime = request.app.state.runtime
        return [
            {
                "targets": [instance.url.split("://", 1)[-1]],
                "labels": {"bazaar_instance": instance.instance_id},
            }
            for instance in await live_instances(runtime.bus)
        ]


def _jobs(console: Console) -> list[BackgroundJob]:
    settings = console.settings

    async def scraping(runtime: Runtime) -> None:
        await repeat(lambda: console.fresh(runtime), every=settings.scrape_seconds, name="scrape")

    async def pruning(runtime: Runtime) -> None:
        async def prune() -> None:
            cutoff = time.time() - settings.sample_retention_hours * 3600
            async with runtime.database.transaction() as connection:
                await traces.prune(connection, limit=settings.span_limit)
                await scrape.forget_before(connection, cutoff)
                await counters.prune(connection, cutoff=cutoff, limit=settings.counter_limit)

        await repeat(prune, every=PRUNE_SECONDS, name="prune")

    return [pruning] if console.prometheus else [scraping, pruning]


def build_app(
    settings: ServiceSettings | None = None, console_settings: ConsoleSettings | None = None
) -> FastAPI:
    console = Console(console_settings or ConsoleSettings())
    app = create_app(replace(DEFINITION, background=_jobs(console)), settings)
    app.state.console = console
    _receiver(app)
    _targets(app)
    return app
