"""Guessing passwords (issue 8, attack 6): growing delays per account and per address, kept in
identity's database, and a throttled attempt costs no password hash.

The hasher is the real argon2 one wrapped in a counter, so "no hash" is counted, not timed; the
clock is identity's own, moved by the test instead of waited for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
import pytest
from argon2 import PasswordHasher

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import assert_problem, running_app
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.service import build_app
from bazaar_identity.settings import IdentitySettings

from .conftest import DEMO_PASSWORD, FakeClock

SHOPPER = "shopper@bazaar.test"
TOKEN = "/identity/1/token"


class CountingHasher(PasswordHasher):
    """argon2id, counting every verification (the dummy one for unknown users included)."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def settings(service_settings: ServiceSettings, database_url: str) -> ServiceSettings:
    return service_settings.model_copy(update={"database_url": database_url})


@pytest.fixture
async def client(
    settings: ServiceSettings, clock: FakeClock, hasher: CountingHasher
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings, IdentitySettings(), clock=clock)
    app.state.identity.passwords = PasswordHashing(hasher)
    async with running_app(app) as client:
        yield client


async def attempt(
    client: httpx.AsyncClient, email: str, password: str, *, address: str = "203.0.113.7"
) -> httpx.Response:
    return await client.post(
        TOKEN,
        data={"grant_type": "password", "username": email, "password": password},
        headers={"x-forwarded-for": address},
    )


async def test_after_five_failures_an_account_waits_longer_each_time_and_pays_no_hash(
    client: httpx.AsyncClient, clock: FakeClock, hasher: CountingHasher
) -> None:
    for _ in range(5):
        assert (await attempt(client, SHOPPER, "wrong-guess")).status_code == 401
    assert hasher.verifications == 5

    throttled = await attempt(client, SHOPPER, DEMO_PASSWORD)  # even the right password waits
    assert_problem(throttled, 429, "retry in 1s")
    assert throttled.headers["Retry-After"] == "1"
    assert hasher.verifications == 5

    clock.advance(1.1)
    assert (await attempt(client, SHOPPER, "wrong-again")).status_code == 401
    assert hasher.verifications == 6
    longer = await attempt(client, SHOPPER, "wrong-again")
    assert_problem(longer, 429, "retry in 2s")
    assert hasher.verifications == 6


async def test_the_right_password_after_the_wait_signs_in_and_clears_the_account(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    for _ in range(5):
        await attempt(client, SHOPPER, "wrong-guess")
    clock.advance(1.1)
    assert (await attempt(client, SHOPPER, DEMO_PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await attempt(client, SHOPPER, "wrong-guess")).status_code == 401
    assert (await attempt(client, SHOPPER, DEMO_PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_throttled_without_hashing(
    client: httpx.AsyncClient, hasher: CountingHasher
) -> None:
    for i in range(20):
        assert (await attempt(client, f"user{i}@example.test", "guess")).status_code == 401
    assert hasher.verifications == 20
    assert_problem(await attempt(client, "user99@example.test", "guess"), 429, "address")
    assert hasher.verifications == 20
    other_address = await attempt(client, "user99@example.test", "guess", address="198.51.100.2")
    assert other_address.status_code == 401


async def test_many_people_signing_in_from_one_address_do_not_slow_each_other_down(
    client: httpx.AsyncClient,
) -> None:
    for i in range(19):
        assert (await attempt(client, f"user{i}@example.test", "guess")).status_code == 401
    for _ in range(5):  # the address is at 19 failures: good sign-ins take back their charge
        assert (await attempt(client, SHOPPER, DEMO_PASSWORD)).status_code == 200
    assert_problem(await attempt(client, "user19@example.test", "guess"), 401, "wrong")
    assert_problem(await attempt(client, "user20@example.test", "guess"), 429, "address")


async def test_the_throttle_survives_a_restart_and_binds_every_instance_of_the_database(
    settings: ServiceSettings, clock: FakeClock, hasher: CountingHasher
) -> None:
    first = build_app(settings, IdentitySettings(), clock=clock)
    async with running_app(first) as client:
        for _ in range(5):
            await attempt(client, SHOPPER, "wrong-guess")
    again = build_app(
        settings.model_copy(update={"instance_id": "identity-2"}), IdentitySettings(), clock=clock
    )
    again.state.identity.passwords = PasswordHashing(hasher)
    async with running_app(again) as client:
        assert (await attempt(client, SHOPPER, DEMO_PASSWORD)).status_code == 429
    assert hasher.verifications == 0


async def test_client_credentials_are_not_throttled_by_password_failures(
    client: httpx.AsyncClient,
) -> None:
    for i in range(21):
        await attempt(client, f"user{i}@example.test", "guess")
    reply: Any = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        headers={"x-forwarded-for": "203.0.113.7"},
    )
    assert reply.status_code == 401
