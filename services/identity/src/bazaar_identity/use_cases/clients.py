"""Service clients: an admin registers one (its secret shown once), the operator's file is loaded.

The secrets themselves (random, stored as SHA-256) and the clients file are service_clients.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bazaar_chassis import Caller, Clock, Units, utc_now
from bazaar_identity import domain, service_clients
from bazaar_identity.authority import require_admin
from bazaar_identity.domain import ServiceClient, UnknownOrganization
from bazaar_identity.use_cases import Identities


async def create_client(
    *,
    units: Units[Identities],
    by: Caller,
    client_id: str,
    organization: str | None = None,
    roles: Sequence[str] | None = None,
    clock: Clock = utc_now,
) -> tuple[ServiceClient, str]:
    """Register a service client (admins only); the client and its secret, shown only now."""
    require_admin(by, "register service clients")
    secret = service_clients.generate_secret()
    client = domain.new_service_client(
        client_id=client_id,
        secret_hash=service_clients.hash_secret(secret),
        now=clock(),
        organization=organization,
        roles=roles,
    )
    async with units() as work:
        if not await work.store.organization_exists(client.organization):
            raise UnknownOrganization(client.organization)
        if await work.store.get_client(client.client_id) is not None:
            raise domain.DuplicateClient(client.client_id)
        await work.store.insert_client(client)
    return client, secret


async def configure_clients(
    *, units: Units[Identities], client_secrets: Mapping[str, str], clock: Clock = utc_now
) -> None:
    """Store the operator's clients (a start-up step): new ones made, known ones re-keyed."""
    now = clock()
    async with units() as work:
        for client_id, secret in sorted(client_secrets.items()):
            client = domain.new_service_client(
                client_id=client_id, secret_hash=service_clients.hash_secret(secret), now=now
            )
            await work.store.upsert_client_secret(client)
