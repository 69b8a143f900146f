"""M6: the catalog read model converges on the systems of record.

1,000 price and stock changes on 50 SKUs go to the real pricing and inventory services; two
catalog instances bound to the same durable consumer share the events and one database (SQLite,
then PostgreSQL). At the end every one of the 50 catalog rows equals what pricing and inventory
say (all compared, none sampled).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from contextlib import AsyncExitStack

from sqlalchemy import select

from bazaar_catalog import store as catalog_store
from bazaar_catalog.service import build_app as build_catalog
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, running_app
from bazaar_inventory.service import build_app as build_inventory
from bazaar_pricing.service import build_app as build_pricing

SKUS = 50
CHANGES = 1_000


def consumed_by(app: object) -> float:
    runtime = app.state.runtime  # type: ignore[attr-defined]
    return sum(
        float(sample.value)
        for family in runtime.metrics.registry.collect()
        for sample in family.samples
        if sample.name == "bazaar_events_consumed_total"
        and sample.labels.get("outcome") == "processed"
    )


async def test_two_catalog_instances_converge_on_pricing_and_inventory_after_1000_changes(
    service_settings: ServiceSettings, database_url: str
) -> None:
    rng = random.Random(20261126)
    skus = [f"CONV-{uuid.uuid4().hex[:6]}-{i:02d}" for i in range(SKUS)]
    # the catalog's conditional executemany races for real only on PostgreSQL: run on both
    catalog_settings = service_settings.model_copy(
        update={"data_dir": service_settings.data_dir / "catalog", "database_url": database_url}
    )
    catalog_a = build_catalog(catalog_settings.model_copy(update={"instance_id": "catalog-a"}))
    catalog_b = build_catalog(catalog_settings.model_copy(update={"instance_id": "catalog-b"}))
    async with AsyncExitStack() as stack:
        pricing = await stack.enter_async_context(running_app(build_pricing(service_settings)))
        inventory = await stack.enter_async_context(running_app(build_inventory(service_settings)))
        await stack.enter_async_context(running_app(catalog_a))
        await stack.enter_async_context(running_app(catalog_b))

        async def both_pulling() -> bool:
            return all(app.state.runtime.bus.ready for app in (catalog_a, catalog_b))

        # Both must be pulling before the changes start, or the first may take all of them.
        await eventually(both_pulling, message="a catalog instance never started consuming")

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

        async def truth() -> dict[str, tuple[int, int]]:
            return {
                sku: (
                    (await pricing.get(f"/pricing/1/prices/{sku}")).json()["amount"],
                    (await inventory.get(f"/inventory/1/stock/{sku}")).json()["available"],
                )
                for sku in skus
            }

        expected = await truth()

        async def catalog_rows() -> dict[str, tuple[int | None, int]]:
            async with catalog_a.state.runtime.database.snapshot() as connection:
                rows = await connection.execute(
                    select(
                        catalog_store.items.c.sku,
                        catalog_store.items.c.price_amount,
                        catalog_store.items.c.available,
                    ).where(catalog_store.items.c.sku.in_(skus))
                )
                return {row.sku: (row.price_amount, row.available) for row in rows}

        async def converged() -> bool:
            rows = await catalog_rows()
            differing = sorted(s for s in skus if rows.get(s) != expected[s])
            assert not differing, f"{len(differing)} SKUs differ, e.g. {differing[:3]}"
            return True

        await eventually(converged, timeout=60, interval=0.2, message="catalog did not converge")
        assert consumed_by(catalog_a) > 0
        assert consumed_by(catalog_b) > 0
        assert consumed_by(catalog_a) + consumed_by(catalog_b) >= CHANGES
