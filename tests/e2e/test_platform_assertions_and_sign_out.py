"""Issue 8, attacks 2 and 6, on a real `bazaar up`: captured assertions are worthless elsewhere,
identity checks admin itself, password guessing is throttled, and logout takes effect at once.

The test plays a service that captured one assertion: it mints it with the gateway's secret from
the data dir (what the gateway would have sent catalog for a guest) and replays it; and a
service that holds its own assertion key, as `bazaar up` wrote it, and tries it on another.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bazaar_chassis.caller import GUEST, IDENTITY_HEADER, Caller
from bazaar_chassis.testing import eventually
from bazaar_chassis.testing.identity import assertion_made_with
from bazaar_platform.assertions import AssertionSigner

from .conftest import Platform, sign_in

pytestmark = pytest.mark.e2e

SHOPPER = Caller(subject="shopper", kind="user", organization="public", roles=("customer",))


def service_urls(platform: Platform) -> dict[str, str]:
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    return {p["name"]: p["url"] for p in state["processes"] if p["name"] != "gateway"}


def gateway_signer(platform: Platform) -> AssertionSigner:
    secret = (platform.data_dir / "secrets" / "gateway-assertion-secret").read_text()
    return AssertionSigner(secret.strip().encode())


def signed_with_key_of(platform: Platform, service: str, *, audience: str, path: str) -> str:
    """An admin's assertion for `POST path` at `audience`, made with `service`'s own key file."""
    key = (platform.data_dir / "secrets" / "assertion-keys" / f"{service}.key").read_text()
    admin = Caller(subject="mallory", kind="user", organization="bazaar", roles=("admin",))
    return assertion_made_with(key, admin, audience=audience, method="POST", path=path)


def test_a_services_own_key_makes_no_assertion_another_service_accepts(
    platform: Platform,
) -> None:
    """ADR 9: catalog's key (all a compromised catalog holds) speaks for no one at identity."""
    urls = service_urls(platform)
    path = "/identity/1/users"
    body = {"email": "mallory@evil.test", "password": "long enough password", "roles": ["admin"]}
    for audience in ("identity", "catalog"):
        forged = signed_with_key_of(platform, "catalog", audience=audience, path=path)
        reply = httpx.post(urls["identity"] + path, headers={IDENTITY_HEADER: forged}, json=body)
        assert reply.status_code == 401, reply.text
        assert "identity assertion rejected" in reply.json()["detail"]
    # the key file is catalog's indeed: catalog lets what it signs for catalog past its identity
    # check, to the routes, which know no such path
    own = signed_with_key_of(platform, "catalog", audience="catalog", path="/catalog/1/x")
    reply = httpx.post(urls["catalog"] + "/catalog/1/x", headers={IDENTITY_HEADER: own})
    assert reply.status_code == 404, reply.text


def test_an_assertion_captured_by_catalog_is_refused_everywhere_but_its_own_request(
    platform: Platform,
) -> None:
    urls = service_urls(platform)
    path = "/catalog/1/categories"
    captured = gateway_signer(platform).assertion(
        GUEST, audience="catalog", method="GET", path=path
    )
    headers = {IDENTITY_HEADER: captured}
    assert httpx.get(urls["catalog"] + path, headers=headers).status_code == 200
    replays = [
        httpx.get(urls["catalog"] + path, headers=headers),  # the same request twice
        httpx.get(urls["catalog"] + "/catalog/1/products/X", headers=headers),
        httpx.post(urls["identity"] + "/identity/1/users", headers=headers, json={}),
        httpx.post(urls["identity"] + "/identity/1/clients", headers=headers, json={}),
    ]
    for reply in replays:
        assert reply.status_code == 401, reply.text


def test_identity_refuses_an_admin_action_to_a_customers_valid_assertion(
    platform: Platform,
) -> None:
    url = service_urls(platform)["identity"] + "/identity/1/users"
    valid = gateway_signer(platform).assertion(
        SHOPPER, audience="identity", method="POST", path="/identity/1/users"
    )
    body = {
        "email": "mallory@example.test",
        "password": "long-enough-pass",
        "name": "Mallory",
        "organization": "bazaar",
        "roles": ["admin"],
    }
    reply = httpx.post(url, headers={IDENTITY_HEADER: valid}, json=body)
    assert reply.status_code == 403, reply.text


def test_guessing_a_password_is_throttled_with_429_and_retry_after(platform: Platform) -> None:
    def guess() -> httpx.Response:
        return httpx.post(
            f"{platform.gateway}/identity/1/token",
            data={"grant_type": "password", "username": "victim@example.test", "password": "x"},
        )

    assert [guess().status_code for _ in range(5)] == [401] * 5
    # The blocks double (1 s, 2 s, 4 s, …): on a slow machine a hash may outlast the first ones,
    # but soon a block outlasts the time between two guesses.
    replies = [guess() for _ in range(6)]
    throttled = [r for r in replies if r.status_code == 429]
    assert throttled, [r.status_code for r in replies]
    assert int(throttled[0].headers["Retry-After"]) >= 1


def test_after_logout_the_token_is_refused_within_seconds(platform: Platform) -> None:
    token = sign_in(platform.gateway, "shopper@bazaar.test")
    bearer = {"Authorization": f"Bearer {token}"}
    me = f"{platform.gateway}/identity/1/users/me"
    assert httpx.get(me, headers=bearer).status_code == 200
    assert httpx.post(f"{platform.gateway}/identity/1/logout", headers=bearer).status_code == 204

    async def refused() -> bool:
        async with httpx.AsyncClient() as client:
            return (await client.get(me, headers=bearer)).status_code == 401

    asyncio.run(eventually(refused, timeout=5, message="the token still works after logout"))
