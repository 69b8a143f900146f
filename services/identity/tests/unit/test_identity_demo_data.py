"""Demo accounts: who they are, that they obey the rules, and that production never has them."""

from __future__ import annotations

from bazaar_identity.demo import (
    DEMO_ACCOUNTS,
    DEMO_ORGANIZATIONS,
    DEMO_PASSWORD,
    demo_accounts_for,
    missing_accounts,
)
from bazaar_identity.domain import check_password, check_user_role, normalize_email


def test_production_mode_has_no_demo_accounts() -> None:
    assert demo_accounts_for("production") == ()


def test_development_mode_has_every_demo_account() -> None:
    assert demo_accounts_for("development") == DEMO_ACCOUNTS


def test_the_accounts_the_api_contract_names_exist_with_their_role_and_organization() -> None:
    by_email = {a.email: (a.role, a.organization) for a in DEMO_ACCOUNTS}
    assert by_email == {
        "admin@bazaar.test": ("admin", "bazaar"),
        "jenn@bazaar.test": ("marketing", "bazaar"),
        "merch@bazaar.test": ("merchandiser", "bazaar"),
        "shopper@bazaar.test": ("customer", "public"),
        "shopper2@bazaar.test": ("customer", "public"),
        "buyer@acme.test": ("merchandiser", "acme"),
    }


def test_demo_accounts_obey_the_same_rules_as_everyone_else() -> None:
    check_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        assert normalize_email(account.email) == account.email
        assert check_user_role(account.role) == account.role
        assert account.organization in DEMO_ORGANIZATIONS


def test_the_demo_organizations_are_bazaar_public_and_acme() -> None:
    assert sorted(DEMO_ORGANIZATIONS) == ["acme", "bazaar", "public"]


def test_an_existing_account_is_never_created_again() -> None:
    missing = missing_accounts(DEMO_ACCOUNTS, {"admin@bazaar.test", "buyer@acme.test"})
    assert [a.email for a in missing] == [
        "jenn@bazaar.test",
        "merch@bazaar.test",
        "shopper@bazaar.test",
        "shopper2@bazaar.test",
    ]
