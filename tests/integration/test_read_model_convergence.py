"""M6: the read models converge on the systems of record.

1,000 price and stock changes on 50 SKUs go to the real pricing and inventory services. Two
catalog instances share the catalog's durable consumer and database; two search instances share
search's (SQLite, then PostgreSQL: only there do their batches race for row locks). At the end
every one of the 50 rows of each read model equals what pricing and inventory say (all
compared, none sampled), and every instance consumed part of the events.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI
from sqlalchemy import Table

from bazaar_catalog import store as catalog_store
from bazaar_catalog.service import build_app as build_catalog
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import consumed, eventually, running_app
from bazaar_inventory.service import build_app as build_inventory
from bazaar_pricing.service import build_app as build_pricing
from bazaar_search import store as search_store
from bazaar_search.service import build_app as build_search

ShownReader = Callable[[FastAPI, Table, list[str]], Awaitable[dict[str, tuple[int | None, int]]]]
SKUS = 50
CHANGES = 1_000


async def test_two_instances_of_each_read_model_converge_after_1000_changes(
    service_settings: ServiceSettings,
    database_url: str,
    second_database_url: str,
    shown: ShownReader,
) -> None:
    rng = random.Random(20261126)
    skus = [f"CONV-{uuid.uuid4().hex[:6]}-{i:02d}" for i in range(SKUS)]

    def pair(build: object, name: str, url: str) -> list[FastAPI]:
        settings = service_settings.model_copy(
            update={"data_dir": service_settings.data_dir / name, "database_url": url}
        )
        return [
            build(settings.model_copy(update={"instance_id": f"{name}-{n}"}))  # type: ignore[operator]
            for n in "ab"
        ]

    catalogs = pair(build_catalog, "catalog", database_url)
    searches = pair(build_search, "search", second_database_url)
    read_models = [(catalogs, catalog_store.items), (searches, search_store.products)]
    async with AsyncExitStack() as stack:
        pricing = await stack.enter_async_context(running_app(build_pricing(service_settings)))
        inventory = await stack.enter_async_context(running_app(build_inventory(service_settings)))
        for app in (*catalogs, *searches):
            await stack.enter_async_context(running_app(app))

        async def all_pulling() -> bool:
            return all(app.state.runtime.bus.ready for app in (*catalogs, *searches))

        # All must be pulling before the changes start, or the first may take all of them.
        await eventually(all_pulling, message="a read model's instance never started consuming")

        limit = asyncio.Semaphore(16)

        async def change(i: int) -> None:
            sku = rng.choice(skus) if i >= 2 * SKUS else skus[i % SKUS]
            async with limit:
                if i % 2 == 0:
                    reply = await pricing.put(
                        f"/pricing/1/prices/{sku}",
                        json={"amount": rng.randint(100, 100_000), "currency": "USD"},
                    )
                else:
                    reply = await inventory.put(
                        f"/inventory/1/stock/{sku}", json={"quantity": rng.randint(0, 500)}
                    )
            assert reply.status_code == 200, reply.text

        await asyncio.gather(*(change(i) for i in range(CHANGES)))

        expected = {
            sku: (
                (await pricing.get(f"/pricing/1/prices/{sku}")).json()["amount"],
                (await inventory.get(f"/inventory/1/stock/{sku}")).json()["available"],
            )
            for sku in skus
        }

        for apps, table in read_models:

            async def converged(app: FastAPI = apps[0], table: Table = table) -> bool:
                rows = await shown(app, table, skus)
                differing = sorted(s for s in skus if rows.get(s) != expected[s])
                assert not differing, f"{len(differing)} SKUs differ, e.g. {differing[:3]}"
                return True

            await eventually(
                converged, timeout=60, interval=0.2, message=f"{table.name} did not converge"
            )
            for app in apps:
                assert consumed(app, "processed") > 0
            assert sum(consumed(app, "processed") for app in apps) >= CHANGES
            # Competing instances take turns: no deadlock to wait out, no event sent back.
            assert sum(consumed(app, "retried") for app in apps) == 0
            assert sum(consumed(app, "failed") for app in apps) == 0
