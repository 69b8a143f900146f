"""The customer and notification services on the platform `bazaar up` runs: demo users get a
profile from identity's start-up registrations, Jenn reads customers and may not write them, and
a shopper reaches only their own record and messages — all through the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import eventually_sync

from .conftest import Platform, sign_in

pytestmark = pytest.mark.e2e

ME = "/customer/1/customers/me"
HOME = {"line1": "1 Market St", "city": "San Francisco", "postal_code": "94105", "country": "US"}


def client_for(platform: Platform, user: str) -> httpx.Client:
    token = sign_in(platform.gateway, user)
    return httpx.Client(
        base_url=platform.gateway, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def sam(platform: Platform) -> Iterator[httpx.Client]:
    with client_for(platform, "shopper@bazaar.test") as client:
        yield client


@pytest.fixture
def jenn(platform: Platform) -> Iterator[httpx.Client]:
    with client_for(platform, "jenn@bazaar.test") as client:
        yield client


def registered_profile(client: httpx.Client) -> dict[str, Any] | None:
    reply = client.get(ME)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body if body["registered"] else None


def test_a_demo_shopper_has_a_profile_from_identitys_registration_and_keeps_addresses(
    sam: httpx.Client,
) -> None:
    profile = eventually_sync(lambda: registered_profile(sam), timeout=20)
    assert (profile["email"], profile["name"]) == ("shopper@bazaar.test", "Sam Shopper")
    put = sam.put(f"{ME}/addresses/home", json=HOME)
    assert put.status_code == 200, put.text
    assert [a["label"] for a in sam.get(ME).json()["addresses"]] == ["home"]
    bad = sam.put(f"{ME}/addresses/home", json={**HOME, "country": "USA"})
    assert bad.status_code == 422
    assert "country" in bad.json()["detail"]


def test_jenn_reads_customers_and_every_write_to_customer_is_refused(
    sam: httpx.Client, jenn: httpx.Client
) -> None:
    subject = eventually_sync(lambda: registered_profile(sam), timeout=20)["subject"]
    listed = jenn.get("/customer/1/customers")
    assert listed.status_code == 200, listed.text
    assert subject in [c["subject"] for c in listed.json()["items"]]
    assert jenn.get(f"/customer/1/customers/{subject}").status_code == 200
    for method in ("PUT", "DELETE"):  # what the route answers: refused to marketing
        reply = jenn.request(method, f"{ME}/addresses/home", json=HOME)
        assert reply.status_code == 403, (method, reply.text)
    for method in ("POST", "PATCH"):  # what no one may do there: the gateway names what may
        reply = jenn.request(method, f"{ME}/addresses/home", json=HOME)
        assert reply.status_code == 405, (method, reply.text)
        assert set(reply.headers["Allow"].replace(" ", "").split(",")) >= {"PUT", "DELETE"}


def test_a_shopper_reads_neither_another_customer_nor_their_messages(
    platform: Platform, sam: httpx.Client
) -> None:
    subject = eventually_sync(lambda: registered_profile(sam), timeout=20)["subject"]
    with client_for(platform, "shopper2@bazaar.test") as sasha:
        assert sasha.get(f"/customer/1/customers/{subject}").status_code in (403, 404)
        mine = sasha.get("/notification/1/messages")
        assert mine.status_code == 200, mine.text
        assert all(m["to"] == "shopper2@bazaar.test" for m in mine.json()["items"])
        other = sasha.get("/notification/1/messages", params={"to": "shopper@bazaar.test"})
        assert other.status_code == 403
