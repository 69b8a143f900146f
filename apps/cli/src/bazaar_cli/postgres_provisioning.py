"""One PostgreSQL database and one login role per service, and no grants across them (M2, M7).

"100 databases with one schema, not one database with 100 schemas": each service's role owns
its database and can connect to nothing else (CONNECT is revoked from PUBLIC on every service
database), so a compromised service cannot read another's data even with SQL injection.
Idempotent: re-running keeps roles and data and only resets passwords it is given.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class ServiceDatabase:
    service: str
    url: str  # SQLAlchemy asyncpg URL, with the service's own credentials


def _quote(identifier: str) -> str:
    if not identifier.replace("_", "").isalnum():
        raise ValueError(f"not a safe identifier: {identifier!r}")
    return f'"{identifier}"'


async def provision(
    admin_url: str,
    services: list[str],
    *,
    passwords: dict[str, str] | None = None,
    prefix: str = "bazaar",
) -> list[ServiceDatabase]:
    """Create (or keep) a `<prefix>_<service>` role and database for each service."""
    passwords = dict(passwords or {})
    admin = make_url(admin_url)
    connection = await asyncpg.connect(
        dsn=admin.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    provisioned = []
    try:
        for service in services:
            name = f"{prefix}_{service}"

            password = passwords.setdefault(service, secrets.token_urlsafe(24))
            exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
            verb = "ALTER" if exists else "CREATE"
            # Passwords cannot be bound parameters in DDL; token_urlsafe has no quote characters.
            await connection.execute(f"{verb} ROLE {_quote(name)} LOGIN PASSWORD '{password}'")
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f"CREATE DATABASE {_quote(name)} OWNER {_quote(name)}")
            await connection.execute(f"REVOKE ALL ON DATABASE {_quote(name)} FROM PUBLIC")
            await connection.execute(f"GRANT CONNECT ON DATABASE {_quote(name)} TO {_quote(name)}")
            url = admin.set(
                drivername="postgresql+asyncpg", username=name, password=password, database=name
            )
            provisioned.append(ServiceDatabase(service, url.render_as_string(hide_password=False)))
    finally:
        await connection.close()
    return provisioned
