"""Run a service app in-process (lifespan and all) and talk to it over ASGI with httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from bazaar_chassis.caller import Caller
from bazaar_chassis.testing.identity import ADMIN, GatewaySigning


@asynccontextmanager
async def running_app(
    app: FastAPI, *, caller: Caller | None = ADMIN, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start `app`'s lifespan (database, bus, consumers, relay), yield a client, then stop it.

    The client calls as `caller` (an admin by default), as if through the gateway: each request
    gets its own single-use assertion. `None` sends no identity at all (a request may still
    carry `identity_headers(other)`), like a client that bypasses the gateway.
    """
    async with (
        app.router.lifespan_context(app),
        client_as(app, caller, base_url=base_url) as client,
    ):
        yield client


def client_as(
    app: FastAPI, caller: Caller | None, *, base_url: str = "http://service"
) -> httpx.AsyncClient:
    """A client of an app that is already running, calling as `caller` (None: no identity), so
    one test can speak to one instance as several people; each request gets its own assertion."""
    # Like a real client: a crash is a 500 reply, not an exception in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport, base_url=base_url, event_hooks={"request": [GatewaySigning(caller)]}
    )


def served_client(base_url: str, caller: Caller | None = None) -> httpx.AsyncClient:
    """A client of a service listening on a real port (`serving`), signing each request as the
    gateway would for `caller`; with None, a request names its caller by `identity_headers`."""
    return httpx.AsyncClient(base_url=base_url, event_hooks={"request": [GatewaySigning(caller)]})


def consumed(app: FastAPI, outcome: str) -> float:
    """How many events the in-process instance `app` consumed with `outcome` (processed,
    duplicate, retried, failed, dead_lettered), from its own metrics."""
    return sum(
        float(sample.value)
        for family in app.state.runtime.metrics.registry.collect()
        for sample in family.samples
        if sample.name == "bazaar_events_consumed_total" and sample.labels.get("outcome") == outcome
    )
