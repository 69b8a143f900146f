"""Identity's token, key, client and sign-out use cases on an in-memory store: what a token says
and which key signs it, what the throttle charges, who may rotate keys, register clients and
revoke tokens, and what each of them announces."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from bazaar_chassis import Caller
from bazaar_chassis.testing import FakeUnits
from bazaar_identity import domain, service_clients, throttle
from bazaar_identity.authority import AdministratorsOnly
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.revocations import NotSignedIn
from bazaar_identity.tokens import IssuedToken
from bazaar_identity.use_cases import accounts, clients, grants, sessions, signing
from bazaar_identity.use_cases.signing import KeyRing

from .conftest import ADMIN, GATEWAY, NOW, SHOPPER, TTL, CountingHasher, FakeIdentities, clock_at

PASSWORD = "correct horse battery"


@pytest.fixture
async def jane(units: FakeUnits[FakeIdentities], passwords: PasswordHashing) -> domain.User:
    await accounts.ensure_organizations(units=units, names=domain.PLATFORM_ORGANIZATIONS)
    return await accounts.register_user(
        units=units,
        reads=units.reads,
        passwords=passwords,
        by=ADMIN,
        email="jane@example.com",
        password=PASSWORD,
        name="Jane",
        organization="public",
        roles=["customer"],
    )


async def _sign_in(
    units: FakeUnits[FakeIdentities],
    passwords: PasswordHashing,
    keyring: KeyRing,
    password: str,
    *,
    address: str | None = "203.0.113.7",
) -> IssuedToken:
    return await grants.password_grant(
        units=units,
        reads=units.reads,
        passwords=passwords,
        keyring=keyring,
        username="JANE@example.com",
        password=password,
        address=address,
        clock=clock_at(NOW),
    )


async def _claims(units: FakeUnits[FakeIdentities], keyring: KeyRing, token: str) -> dict[str, Any]:
    """The token's claims, verified with the key the JWKS publishes under its `kid`."""
    published = await signing.published_keys(
        reads=units.reads, keyring=keyring, clock=clock_at(NOW)
    )
    by_kid = {jwk["kid"]: jwk for jwk in published}
    key = jwt.PyJWK(by_kid[jwt.get_unverified_header(token)["kid"]])
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["EdDSA"], options={"verify_exp": False}
    )
    return claims


async def test_the_right_password_gets_a_token_signed_by_the_active_key_and_clears_the_count(
    units: FakeUnits[FakeIdentities],
    passwords: PasswordHashing,
    keyring: KeyRing,
    jane: domain.User,
) -> None:
    await signing.ensure_active_key(units=units, keyring=keyring, clock=clock_at(NOW))
    issued = await _sign_in(units, passwords, keyring, PASSWORD)
    claims = await _claims(units, keyring, issued.access_token)
    assert (claims["sub"], claims["org"], claims["roles"]) == (jane.id, "public", ["customer"])
    assert (claims["iss"], claims["exp"] - claims["iat"], issued.expires_in) == ("t", TTL, TTL)
    assert throttle.account_key(jane.email) not in units.store.attempts
    assert units.store.attempts[throttle.address_key("203.0.113.7")].failures == 0


async def test_a_wrong_password_is_an_invalid_grant_charged_to_the_account_and_the_address(
    units: FakeUnits[FakeIdentities],
    passwords: PasswordHashing,
    keyring: KeyRing,
    jane: domain.User,
) -> None:
    with pytest.raises(domain.InvalidGrant):
        await _sign_in(units, passwords, keyring, "wrong password")
    charged = {key: row.failures for key, row in units.store.attempts.items()}
    assert charged == {"account:jane@example.com": 1, "address:203.0.113.7": 1}


async def test_a_blocked_account_is_refused_before_its_password_is_checked(
    units: FakeUnits[FakeIdentities],
    passwords: PasswordHashing,
    hasher: CountingHasher,
    keyring: KeyRing,
    jane: domain.User,
) -> None:
    for _ in range(throttle.ACCOUNT_POLICY.free_failures):
        with pytest.raises(domain.InvalidGrant):
            await _sign_in(units, passwords, keyring, "wrong password", address=None)
    checked = hasher.verifications
    with pytest.raises(throttle.TooManyAttempts):
        await _sign_in(units, passwords, keyring, PASSWORD, address=None)
    assert hasher.verifications == checked


async def test_a_wrong_client_secret_and_an_unknown_client_fail_alike(
    units: FakeUnits[FakeIdentities], keyring: KeyRing
) -> None:
    await accounts.ensure_organizations(units=units, names=domain.PLATFORM_ORGANIZATIONS)
    await clients.configure_clients(units=units, client_secrets={"cart": "s3cret-s3cret-s3cret"})
    await signing.ensure_active_key(units=units, keyring=keyring)
    for client_id, secret in [("cart", "wrong"), ("nobody", "s3cret-s3cret-s3cret")]:
        with pytest.raises(domain.InvalidClient):
            await grants.client_credentials_grant(
                reads=units.reads, keyring=keyring, client_id=client_id, client_secret=secret
            )
    issued = await grants.client_credentials_grant(
        reads=units.reads, keyring=keyring, client_id="cart", client_secret="s3cret-s3cret-s3cret"
    )
    claims = await _claims(units, keyring, issued.access_token)
    assert (claims["sub"], claims["kind"], claims["roles"]) == (
        "service:cart",
        "service",
        ["service:cart"],
    )


async def test_an_admin_registers_a_client_whose_secret_is_stored_only_as_a_hash(
    units: FakeUnits[FakeIdentities],
) -> None:
    await accounts.ensure_organizations(units=units, names=domain.PLATFORM_ORGANIZATIONS)
    client, secret = await clients.create_client(units=units, by=ADMIN, client_id="cart")
    stored = units.store.clients["cart"]
    assert stored.secret_hash == service_clients.hash_secret(secret) != secret
    assert client.roles == ("service:cart",)
    with pytest.raises(domain.DuplicateClient):
        await clients.create_client(units=units, by=ADMIN, client_id="cart")
    with pytest.raises(AdministratorsOnly):
        await clients.create_client(units=units, by=SHOPPER, client_id="order")
    assert sorted(units.store.clients) == ["cart"]


async def test_rotating_keys_is_for_admins_and_announces_both_published_keys(
    units: FakeUnits[FakeIdentities], keyring: KeyRing
) -> None:
    first = await signing.ensure_active_key(units=units, keyring=keyring, clock=clock_at(NOW))
    with pytest.raises(AdministratorsOnly):
        await signing.rotate_keys(units=units, keyring=keyring, by=SHOPPER)
    second = await signing.rotate_keys(units=units, keyring=keyring, by=ADMIN, clock=clock_at(NOW))
    assert second != first
    announced = units.published[-1]
    assert (announced.type, announced.sequence) == ("identity.signing_key_activated.v1", 2)
    assert announced.data["published"] == [second, first]
    later = clock_at(NOW + timedelta(seconds=2 * TTL))
    assert await signing.retire_keys(units=units, keyring=keyring, clock=later) == [first]


async def test_logout_revokes_the_callers_own_token_until_it_expires(
    units: FakeUnits[FakeIdentities],
) -> None:
    expires = int((NOW + timedelta(minutes=5)).timestamp())
    signed_in = Caller(
        subject="u-1",
        kind="user",
        organization="public",
        roles=(),
        token_id="t-1",
        token_expires=expires,
    )
    revocation = await sessions.logout(
        units=units, by=signed_in, token_ttl_seconds=TTL, clock=clock_at(NOW)
    )
    assert (revocation.jti, int(revocation.expires_at.timestamp())) == ("t-1", expires)
    assert [(e.type, e.subject) for e in units.published] == [("identity.token_revoked.v1", "t-1")]
    with pytest.raises(NotSignedIn):
        await sessions.logout(units=units, by=SHOPPER, token_ttl_seconds=TTL)


async def test_an_admin_signs_a_subject_out_and_the_gateway_reads_what_is_live(
    units: FakeUnits[FakeIdentities],
) -> None:
    with pytest.raises(AdministratorsOnly):
        await sessions.revoke(units=units, by=SHOPPER, token_ttl_seconds=TTL, subject="u-1")
    revocation = await sessions.revoke(
        units=units, by=ADMIN, token_ttl_seconds=TTL, subject="u-1", clock=clock_at(NOW)
    )
    assert revocation.not_before == NOW + timedelta(seconds=1)
    live = await sessions.live_revocations(reads=units.reads, by=GATEWAY, clock=clock_at(NOW))
    assert live == [revocation]
    with pytest.raises(AdministratorsOnly):
        await sessions.live_revocations(reads=units.reads, by=SHOPPER)
    await sessions.forget_stale(units=units, clock=clock_at(revocation.expires_at))
    assert units.store.revocations == {}
