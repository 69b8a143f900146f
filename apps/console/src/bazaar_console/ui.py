"""The console's web UI (`/console/`, which the gateway redirects to `/console/1/ui`): server-
rendered pages over the same reads as the API — services, events, the SLO table, dead letters,
and a trace's waterfall."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bazaar_chassis import NotFound, RuntimeDep
from bazaar_console import activity, dead_letters, discovery, slo, traces
from bazaar_console.api.v1 import ConsoleDep, operator_only, traffic_share
from bazaar_platform.instances import live_instances

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
pages = APIRouter(dependencies=[Depends(operator_only)], include_in_schema=False)


def _page(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(**context))


@pages.get("/ui")
async def overview(
    runtime: RuntimeDep, console: ConsoleDep, window: Annotated[float, Query(gt=0)] = 300
) -> HTMLResponse:
    instances = await live_instances(runtime.bus)
    found = await console.samples(runtime, window=window)
    levels = slo.report(found, window=window, source=console.source)
    gains = await console.gains(runtime, window=window)
    services = await discovery.services(instances, traffic_share(found))
    activity.add_to_services(services, gains, window=window)
    events = await discovery.events(runtime.bus, instances)
    activity.add_to_events(events["items"], gains, window=window)
    return _page(
        "overview.html",
        services=services,
        events=events,
        slo=levels,
        letters=await dead_letters.listing(runtime.bus),
    )


@pages.get("/ui/traces")
async def trace_search(
    runtime: RuntimeDep, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> HTMLResponse:
    async with runtime.database.snapshot() as connection:
        found = await traces.find(connection, q)
    return _page("search.html", query=q, found=found)


@pages.get("/ui/traces/{trace_id}")
async def trace_page(runtime: RuntimeDep, trace_id: str) -> HTMLResponse:
    async with runtime.database.snapshot() as connection:
        found = await traces.waterfall(connection, trace_id)
    if found is None:
        raise NotFound(f"no trace {trace_id}")
    return _page("trace.html", trace=found)
