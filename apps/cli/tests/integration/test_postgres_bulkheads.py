"""M2/M7 on PostgreSQL: each service gets its own database and role, and no role can reach
another service's database."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bazaar_cli.postgres_provisioning import provision


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_a_service_role_reaches_its_own_database_and_no_other(
    postgres_server_url: str,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    product, pricing = await provision(postgres_server_url, ["product", "pricing"], prefix=prefix)
    own = await asyncpg.connect(dsn=libpq(product.url))
    await own.execute("CREATE TABLE products (sku text primary key)")
    await own.close()

    cross = make_url(product.url).set(database=f"{prefix}_pricing")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(dsn=libpq(cross.render_as_string(hide_password=False)))
    # (Passwords are the server's pg_hba business: the embedded test server trusts its socket.)
    pricing_role = make_url(pricing.url).set(database=f"{prefix}_product")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(dsn=libpq(pricing_role.render_as_string(hide_password=False)))


async def test_provisioning_again_keeps_the_data(postgres_server_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    (first,) = await provision(postgres_server_url, ["category"], prefix=prefix)
    connection = await asyncpg.connect(dsn=libpq(first.url))
    await connection.execute("CREATE TABLE kept (x int)")
    await connection.close()
    (again,) = await provision(postgres_server_url, ["category"], prefix=prefix)
    connection = await asyncpg.connect(dsn=libpq(again.url))
    assert await connection.fetchval("SELECT count(*) FROM kept") == 0
    await connection.close()
