"""Fixtures for identity against a real SQLite file and a real NATS server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, running_app
from bazaar_identity.service import build_app
from bazaar_identity.settings import IdentitySettings

Verify = Callable[[httpx.AsyncClient, str], Awaitable[dict[str, Any]]]


class FakeClock:
    """Identity's clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def identity_settings() -> IdentitySettings:
    return IdentitySettings()


@pytest.fixture
async def client(
    service_settings: ServiceSettings,
    identity_settings: IdentitySettings,
    clock: FakeClock,
    event_probe: EventProbe,
) -> AsyncIterator[httpx.AsyncClient]:
    """Identity in process. It announces the demo accounts as it starts, so the probe watches
    first: a probe started after it (the order a test names its fixtures in) could miss them."""
    async with running_app(build_app(service_settings, identity_settings, clock=clock)) as client:
        yield client


async def verify_with_served_jwks(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """Verify `token` as the gateway would: the key named by its `kid`, from the served JWKS."""
    served = await client.get("/identity/1/jwks")
    assert served.status_code == 200
    keyset = jwt.PyJWKSet.from_dict(served.json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next((k for k in keyset.keys if k.key_id == kid), None)
    if key is None:
        raise jwt.InvalidKeyError(f"no key {kid} in the JWKS")
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["EdDSA"],
        issuer="bazaar-identity",
        options={"require": ["iss", "sub", "exp", "iat", "jti"]},
    )
    return claims


@pytest.fixture
def verify() -> Verify:
    return verify_with_served_jwks


DEMO_PASSWORD = "bazaar-demo"


async def password_token(
    client: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD, **extra: str
) -> httpx.Response:
    return await client.post(
        "/identity/1/token",
        data={"grant_type": "password", "username": email, "password": password, **extra},
    )


@pytest.fixture
def login() -> Callable[..., Awaitable[httpx.Response]]:
    return password_token
