"""The same platform on PostgreSQL: `bazaar up --postgres <admin URL>` gives every service its
own database and role on the server, and nothing else changes (configuration, not code)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest

from bazaar_chassis.testing import eventually_sync

from .conftest import seeded_in, sign_in, start_platform

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_the_platform_runs_on_postgresql_with_one_database_per_service(
    tmp_path: Path, postgres_server_url: str
) -> None:
    platform = start_platform(tmp_path / "data", extra_args=("--postgres", postgres_server_url))
    try:
        token = sign_in(platform.gateway, "merch@bazaar.test")
        with httpx.Client(
            base_url=platform.gateway, timeout=10, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            page = client.get("/catalog/1/categories/coffee/products").json()
            assert page["total"] == len(seeded_in("coffee"))
            assert (
                client.put(
                    "/pricing/1/prices/COF-002", json={"amount": 2222, "currency": "USD"}
                ).status_code
                == 200
            )
            eventually_sync(
                lambda: client.get("/catalog/1/products/COF-002").json()["price"]["amount"] == 2222,
                message="the price change did not reach the catalog",
            )
    finally:
        assert platform.stop() == 0

    async def databases() -> set[str]:
        connection = await asyncpg.connect(dsn=postgres_server_url)
        try:
            rows = await connection.fetch("SELECT datname FROM pg_database")
        finally:
            await connection.close()
        return {r["datname"] for r in rows}

    names = asyncio.run(databases())
    assert {"bazaar_product", "bazaar_pricing", "bazaar_catalog", "bazaar_identity"} <= names
