"""M3: NATS stopped for a while. Writes are still accepted, nothing is lost, and every event
reaches the catalog once the bus is back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI
from sqlalchemy import Table

from bazaar_catalog import store as catalog_store
from bazaar_catalog.service import build_app as build_catalog
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import eventually, running_app
from bazaar_inventory.service import build_app as build_inventory
from bazaar_platform.nats_server import NatsServer
from bazaar_pricing.service import build_app as build_pricing

ShownReader = Callable[[FastAPI, Table, list[str]], Awaitable[dict[str, tuple[int | None, int]]]]
SKUS = [f"OUT-{i:02d}" for i in range(20)]


async def test_writes_made_while_nats_is_down_are_kept_and_delivered_when_it_returns(
    service_settings: ServiceSettings, nats_server: NatsServer, shown: ShownReader
) -> None:
    catalog = build_catalog(
        service_settings.model_copy(update={"data_dir": service_settings.data_dir / "catalog"})
    )
    async with AsyncExitStack() as stack:
        pricing = await stack.enter_async_context(running_app(build_pricing(service_settings)))
        inventory = await stack.enter_async_context(running_app(build_inventory(service_settings)))
        await stack.enter_async_context(running_app(catalog))
        for sku in SKUS[:5]:  # some traffic while everything is up
            assert (
                await pricing.put(
                    f"/pricing/1/prices/{sku}", json={"amount": 100, "currency": "USD"}
                )
            ).status_code == 200

        nats_server.kill()
        for i, sku in enumerate(SKUS):
            price = await pricing.put(
                f"/pricing/1/prices/{sku}", json={"amount": 1000 + i, "currency": "USD"}
            )
            stock = await inventory.put(f"/inventory/1/stock/{sku}", json={"quantity": i})
            assert (price.status_code, stock.status_code) == (200, 200)
        assert (await pricing.get("/readyz")).json()["status"] == "degraded"
        assert (await pricing.get(f"/pricing/1/prices/{SKUS[3]}")).json()["amount"] == 1003

        nats_server.start()  # same port, same JetStream store

        async def catalog_has_everything() -> bool:
            rows = await shown(catalog, catalog_store.items, SKUS)
            missing = [s for i, s in enumerate(SKUS) if rows.get(s) != (1000 + i, i)]
            assert not missing, f"not yet in the catalog: {missing}"
            return True

        await eventually(catalog_has_everything, timeout=30, message="events were lost")
        assert (await pricing.get("/readyz")).json()["status"] == "ready"
