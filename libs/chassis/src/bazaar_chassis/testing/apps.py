"""Run a service app in-process (lifespan and all) and talk to it over ASGI with httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def running_app(
    app: FastAPI, *, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start `app`'s lifespan (database, bus, consumers, relay), yield a client, then stop it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
