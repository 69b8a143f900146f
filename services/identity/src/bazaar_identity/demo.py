"""Demo organizations and accounts for development mode: known logins for every role.

All share the password `bazaar-demo`. They are created on every start where missing (never
changed when present; `use_cases.accounts.seed_demo_accounts`) and never in production mode.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from bazaar_identity import domain

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
