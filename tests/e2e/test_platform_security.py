"""M7 on the platform `bazaar up` runs: deny by default through the gateway, nothing reachable
around it, and bus credentials that only let each service speak for itself."""

from __future__ import annotations

import asyncio
import json

import httpx
import nats
import pytest

from bazaar_chassis.testing import eventually

from .conftest import Platform, sign_in

pytestmark = pytest.mark.e2e


def test_a_guest_may_browse_but_not_change_anything(guest: httpx.Client) -> None:
    assert guest.get("/catalog/1/categories/coffee/products").status_code == 200
    denied = guest.put("/pricing/1/prices/COF-001", json={"amount": 1, "currency": "USD"})
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")


def test_jenn_may_not_touch_prices_but_the_merchandiser_may(platform: Platform) -> None:
    body = {"amount": 1999, "currency": "USD"}
    for user, status in (("jenn@bazaar.test", 403), ("merch@bazaar.test", 200)):
        token = sign_in(platform.gateway, user)
        reply = httpx.put(
            f"{platform.gateway}/pricing/1/prices/TEA-002",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == status, (user, reply.text)


def test_no_service_answers_a_request_that_bypasses_the_gateway(platform: Platform) -> None:
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())
    token = sign_in(platform.gateway, "admin@bazaar.test")
    for process in state["processes"]:
        if process["name"] in ("gateway", "storefront"):  # the storefront is a public client:
            continue  # no data, no credential of its own; it calls the gateway as the visitor
        path = f"/{process['name']}/1/anything"
        reply = httpx.get(process["url"] + path, headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401, (process["name"], reply.text)


def test_with_carts_nats_credentials_a_product_recall_cannot_be_published(
    platform: Platform,
) -> None:
    passwords = json.loads((platform.data_dir / "secrets" / "nats-users.json").read_text())
    state = json.loads((platform.data_dir / "run" / "state.json").read_text())

    async def attempt() -> list[str]:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        client = await nats.connect(
            state["nats_url"], user="cart", password=passwords["cart"], error_cb=on_error
        )
        await client.publish("bazaar.product.recalled", b"{}")
        await client.flush()
        await eventually(lambda: _first(errors), timeout=5, message="no error from the server")
        await client.close()
        return errors

    errors = asyncio.run(attempt())
    assert any("permissions violation" in e.lower() for e in errors), errors


async def _first(errors: list[str]) -> str | None:
    return errors[0] if errors else None
