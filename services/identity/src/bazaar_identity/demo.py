"""Demo organizations and accounts for development mode: known logins for every role.

All share the password `bazaar-demo`. They are created on every start where missing (never
changed when present) and never in production mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bazaar_chassis import Runtime, new_id
from bazaar_identity import accounts, domain, store
from bazaar_identity.context import IdentityContext
from bazaar_identity.domain import DuplicateEmail, Organization

DEMO_PASSWORD = "bazaar-demo"  # noqa: S105 - documented demo login, development mode only

DEMO_ORGANIZATIONS = {**domain.PLATFORM_ORGANIZATIONS, "acme": "Acme Corporation"}


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    name: str
    organization: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@bazaar.test", "Ada Admin", "bazaar", "admin"),
    DemoAccount("jenn@bazaar.test", "Jenn from Marketing", "bazaar", "marketing"),
    DemoAccount("merch@bazaar.test", "Max Merchandiser", "bazaar", "merchandiser"),
    DemoAccount("shopper@bazaar.test", "Sam Shopper", "public", "customer"),
    DemoAccount("shopper2@bazaar.test", "Sasha Shopper", "public", "customer"),
    DemoAccount("buyer@acme.test", "Bo Buyer", "acme", "merchandiser"),
)


def demo_accounts_for(mode: Literal["development", "production"]) -> tuple[DemoAccount, ...]:
    """The demo accounts a deployment in `mode` must have: none at all in production."""
    return DEMO_ACCOUNTS if mode == "development" else ()


def missing_accounts(
    wanted: Collection[DemoAccount], existing_emails: Collection[str]
) -> list[DemoAccount]:
    """The accounts still to create; an existing email is left alone, whatever it holds now."""
    return [account for account in wanted if account.email not in existing_emails]


async def seed(runtime: Runtime, identity: IdentityContext) -> list[str]:
    """Create the missing demo organizations and accounts; the emails created."""
    wanted = demo_accounts_for(runtime.settings.mode)
    if not wanted:
        return []
    now = identity.now()
    async with runtime.unit_of_work() as uow:
        await store.ensure_organizations(
            uow.connection, [Organization(k, n, now) for k, n in DEMO_ORGANIZATIONS.items()]
        )
    async with runtime.database.snapshot() as connection:
        existing = await store.existing_emails(connection, [a.email for a in wanted])
    to_create = missing_accounts(wanted, existing)
    hashes = await asyncio.gather(
        *(identity.passwords.hash_async(DEMO_PASSWORD) for _ in to_create)
    )
    created = []
    for account, password_hash in zip(to_create, hashes, strict=True):
        if await _create(runtime, account, password_hash=password_hash, now=now):
            created.append(account.email)
    return created


async def _create(
    runtime: Runtime, account: DemoAccount, *, password_hash: str, now: datetime
) -> bool:
    registration = domain.register(
        email=account.email,
        password=DEMO_PASSWORD,
        name=account.name,
        organization=account.organization,
        roles=[account.role],
    )
    user = domain.new_user(registration, id=new_id(), password_hash=password_hash, now=now)
    try:
        async with runtime.unit_of_work() as uow:
            await accounts.record(uow, user, registration)
    except DuplicateEmail:
        return False  # another instance seeded it in the meantime
    return True
