"""Identity's account use cases on an in-memory store: who may register, read and bootstrap whom,
what is stored and announced, and that a refused request costs no password hash."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bazaar_chassis import Caller
from bazaar_chassis.testing import FakeUnits
from bazaar_identity import domain
from bazaar_identity.authority import AdministratorsOnly
from bazaar_identity.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.use_cases import accounts

from .conftest import ADMIN, NOW, SHOPPER, CountingHasher, FakeIdentities, clock_at


async def _platform(units: FakeUnits[FakeIdentities]) -> None:
    await accounts.ensure_organizations(
        units=units, names=domain.PLATFORM_ORGANIZATIONS, clock=clock_at(NOW)
    )


async def _register(
    units: FakeUnits[FakeIdentities],
    passwords: PasswordHashing,
    *,
    by: Caller = ADMIN,
    email: str = "jane@example.com",
) -> domain.User:
    return await accounts.register_user(
        units=units,
        reads=units.reads,
        passwords=passwords,
        by=by,
        email=email,
        password="correct horse battery",
        name="Jane",
        organization="public",
        roles=["customer"],
        clock=clock_at(NOW),
    )


async def test_an_admin_registers_a_user_stored_with_a_hash_and_announced(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing
) -> None:
    await _platform(units)
    user = await _register(units, passwords, email=" Jane@Example.com ")
    assert user.email == "jane@example.com"
    assert units.store.users[user.id].password_hash.startswith("$argon2id$")
    assert [m.organization for m in user.memberships] == ["public"]
    assert [(e.type, e.subject) for e in units.published] == [
        ("identity.user_registered.v1", user.id)
    ]


async def test_someone_who_is_not_a_platform_admin_registers_nobody_and_costs_no_hash(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing, hasher: CountingHasher
) -> None:
    await _platform(units)
    with pytest.raises(AdministratorsOnly):
        await _register(units, passwords, by=SHOPPER)
    assert (units.store.users, units.published, hasher.hashes) == ({}, [], 0)


async def test_a_taken_email_or_an_unknown_organization_is_refused_before_hashing(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing, hasher: CountingHasher
) -> None:
    with pytest.raises(domain.UnknownOrganization):
        await _register(units, passwords)
    await _platform(units)
    await _register(units, passwords)
    with pytest.raises(domain.DuplicateEmail):
        await _register(units, passwords)
    assert hasher.hashes == 1
    assert len(units.store.users) == 1


async def test_a_user_reads_their_own_account_and_an_admin_reads_any(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing
) -> None:
    await _platform(units)
    user = await _register(units, passwords)
    owner = Caller(subject=user.id, kind="user", organization="public", roles=())
    assert await accounts.get_user(reads=units.reads, by=owner, user_id=user.id) == user
    assert await accounts.get_user(reads=units.reads, by=ADMIN, user_id=user.id) == user
    with pytest.raises(domain.NotYourAccount):
        await accounts.get_user(reads=units.reads, by=SHOPPER, user_id=user.id)
    with pytest.raises(domain.UserNotFound):
        await accounts.get_user(reads=units.reads, by=ADMIN, user_id="nobody")


async def test_only_a_platform_admin_lists_the_organizations(
    units: FakeUnits[FakeIdentities],
) -> None:
    await _platform(units)
    listed = await accounts.list_organizations(reads=units.reads, by=ADMIN)
    assert [o.key for o in listed] == sorted(domain.PLATFORM_ORGANIZATIONS)
    with pytest.raises(AdministratorsOnly):
        await accounts.list_organizations(reads=units.reads, by=SHOPPER)


async def _bootstrap(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing, *, token: str, email: str
) -> domain.User:
    return await accounts.first_admin(
        units=units,
        reads=units.reads,
        passwords=passwords,
        expected_token=SecretStr("the-bootstrap-token"),
        token=token,
        email=email,
        password="correct horse battery",
        name="Ops",
        organization="ops",
        clock=clock_at(NOW),
    )


async def test_the_first_admin_needs_the_bootstrap_token_and_only_while_no_admin_exists(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing
) -> None:
    with pytest.raises(accounts.BadBootstrapToken):
        await _bootstrap(units, passwords, token="a-guess", email="ops@example.com")
    assert units.store.users == {}
    admin = await _bootstrap(units, passwords, token="the-bootstrap-token", email="ops@example.com")
    assert [(m.organization, m.role) for m in admin.memberships] == [("ops", "admin")]
    assert "ops" in units.store.organizations
    with pytest.raises(accounts.BootstrapClosed):
        await _bootstrap(units, passwords, token="the-bootstrap-token", email="two@example.com")
    assert len(units.store.users) == 1


async def test_without_a_configured_bootstrap_token_no_token_opens_bootstrap(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing
) -> None:
    with pytest.raises(accounts.BadBootstrapToken):
        await accounts.first_admin(
            units=units,
            reads=units.reads,
            passwords=passwords,
            expected_token=None,
            token="",
            email="ops@example.com",
            password="correct horse battery",
            name="Ops",
            organization="ops",
        )


async def test_demo_accounts_are_made_once_in_development_and_never_in_production(
    units: FakeUnits[FakeIdentities], passwords: PasswordHashing
) -> None:
    await _platform(units)
    seed = accounts.seed_demo_accounts
    assert await seed(units=units, reads=units.reads, passwords=passwords, mode="production") == []
    assert units.store.users == {}
    created = await seed(units=units, reads=units.reads, passwords=passwords, mode="development")
    assert created == [a.email for a in DEMO_ACCOUNTS]
    assert await seed(units=units, reads=units.reads, passwords=passwords, mode="development") == []
    shopper = await units.store.find_user_by_email("shopper@bazaar.test")
    assert shopper is not None
    assert passwords.verify(shopper.password_hash, DEMO_PASSWORD)
