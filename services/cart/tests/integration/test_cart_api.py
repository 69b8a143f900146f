"""The cart API on a real database and real NATS, calling inventory and the catalog over real
HTTP (a stand-in gateway): lines, stock refusals, versions, ownership and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import assert_problem

from .conftest import ANN, BOB, GUEST, ORDER, SERVICE_TOKEN, Upstream, as_

Shop = tuple[httpx.AsyncClient, Upstream]


def stocked(upstream: Upstream) -> None:
    upstream.product("TEA-1", name="Green tea", price=450, stock=5, categories=["tea"])
    upstream.product("MUG-1", name="Mug", price=1200, stock=50, categories=["gifts"])


async def new_cart(client: httpx.AsyncClient, **headers: str) -> dict[str, Any]:
    reply = await client.post("/cart/1/carts", headers=headers or None)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def test_a_new_cart_is_empty_owned_by_the_caller_and_returned_again(shop: Shop) -> None:
    client, _ = shop
    cart = await new_cart(client)
    assert {k: cart[k] for k in ("owner", "state", "version", "lines", "cart_token")} == {
        "owner": "user-ann",
        "state": "active",
        "version": 1,
        "lines": [],
        "cart_token": None,
    }
    assert cart["total"] == cart["subtotal"] == {"amount": 0, "currency": "USD"}
    assert (await new_cart(client))["id"] == cart["id"]


async def test_lines_carry_the_catalogs_name_price_and_categories_and_a_repeat_adds_up(
    shop: Shop,
) -> None:
    client, upstream = shop
    stocked(upstream)
    cart = await new_cart(client)
    path = f"/cart/1/carts/{cart['id']}/items"
    first = await client.post(path, json={"sku": "TEA-1", "quantity": 2})
    assert first.status_code == 201, first.text
    reply = await client.post(path, json={"sku": "TEA-1", "quantity": 1, "version": 2})
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["lines"] == [
        {
            "sku": "TEA-1",
            "name": "Green tea",
            "quantity": 3,
            "unit_price": {"amount": 450, "currency": "USD"},
            "line_total": {"amount": 1350, "currency": "USD"},
            "categories": ["tea"],
        }
    ]
    assert (body["version"], body["total"]["amount"]) == (3, 1350)
    assert (await client.get(f"/cart/1/carts/{cart['id']}")).json() == body
    # every call went through the gateway with the cart's own service token
    assert {auth for _, auth in upstream.calls} == {f"Bearer {SERVICE_TOKEN}"}


async def test_more_than_inventory_can_supply_is_a_409_with_the_available_quantity(
    shop: Shop,
) -> None:
    client, upstream = shop
    stocked(upstream)
    cart = await new_cart(client)
    path = f"/cart/1/carts/{cart['id']}/items"
    await client.post(path, json={"sku": "TEA-1", "quantity": 4})
    problem = assert_problem(
        await client.post(path, json={"sku": "TEA-1", "quantity": 2}), 409, "only 5"
    )
    assert (problem["available"], problem["requested"]) == (5, 6)
    upstream.stock["TEA-1"] = 1  # sold elsewhere meanwhile: inventory's answer counts, not ours
    patched = await client.patch(f"{path}/TEA-1", json={"quantity": 2})
    assert assert_problem(patched, 409, "TEA-1")["available"] == 1
    del upstream.stock["MUG-1"]  # inventory never stocked it: none available
    unstocked = await client.post(path, json={"sku": "MUG-1", "quantity": 1})
    assert assert_problem(unstocked, 409, "MUG-1")["available"] == 0


async def test_lines_can_be_changed_and_removed_and_a_stale_version_is_refused(shop: Shop) -> None:
    client, upstream = shop
    stocked(upstream)
    cart = await new_cart(client)
    path = f"/cart/1/carts/{cart['id']}/items"
    await client.post(path, json={"sku": "TEA-1", "quantity": 1})
    await client.post(path, json={"sku": "MUG-1", "quantity": 1})
    changed = await client.patch(f"{path}/MUG-1", json={"quantity": 4, "version": 3})
    assert changed.status_code == 200, changed.text
    assert [(x["sku"], x["quantity"]) for x in changed.json()["lines"]] == [
        ("TEA-1", 1),
        ("MUG-1", 4),
    ]
    assert_problem(
        await client.delete(f"{path}/TEA-1", params={"expected_version": 3}), 409, "version 4"
    )
    removed = await client.delete(f"{path}/TEA-1", params={"expected_version": 4})
    assert [x["sku"] for x in removed.json()["lines"]] == ["MUG-1"]
    assert_problem(await client.delete(f"{path}/TEA-1"), 404, "TEA-1")


async def test_another_shopper_gets_404_and_the_order_service_may_only_read(shop: Shop) -> None:
    client, upstream = shop
    stocked(upstream)
    cart = await new_cart(client)
    path = f"/cart/1/carts/{cart['id']}"
    for stranger in (BOB, GUEST):
        assert_problem(await client.get(path, headers=as_(stranger)), 404, cart["id"])
        added = await client.post(
            f"{path}/items", json={"sku": "TEA-1", "quantity": 1}, headers=as_(stranger)
        )
        assert_problem(added, 404, cart["id"])
    read = await client.get(path, headers=as_(ORDER))
    assert (read.status_code, read.json()["owner"]) == (200, "user-ann")
    write = await client.post(
        f"{path}/items", json={"sku": "TEA-1", "quantity": 1}, headers=as_(ORDER)
    )
    assert_problem(write, 403, "not change")
    assert_problem(await client.post("/cart/1/carts", headers=as_(ORDER)), 403, "services")


async def test_a_guest_cart_opens_only_with_its_token(shop: Shop) -> None:
    client, upstream = shop
    stocked(upstream)
    cart = await new_cart(client, **as_(GUEST))
    token = cart["cart_token"]
    assert token
    assert cart["owner"] == "guest"
    path = f"/cart/1/carts/{cart['id']}"
    added = await client.post(
        f"{path}/items", json={"sku": "TEA-1", "quantity": 1}, headers=as_(GUEST, token)
    )
    assert added.status_code == 201, added.text
    assert "cart_token" not in (await client.get(path, headers=as_(GUEST, token))).json()
    for headers in (as_(GUEST), as_(GUEST, token[:-2]), as_(ANN), as_(BOB, "nope")):
        assert_problem(await client.get(path, headers=headers), 404, cart["id"])
    other = await new_cart(client, **as_(GUEST))
    assert_problem(await client.get(path, headers=as_(GUEST, other["cart_token"])), 404)


async def test_the_guest_cart_merges_into_the_signed_in_users_cart(shop: Shop) -> None:
    client, upstream = shop
    stocked(upstream)
    guest = await new_cart(client, **as_(GUEST))
    token = guest["cart_token"]
    for sku, quantity in (("TEA-1", 2), ("MUG-1", 1)):
        await client.post(
            f"/cart/1/carts/{guest['id']}/items",
            json={"sku": sku, "quantity": quantity},
            headers=as_(GUEST, token),
        )
    own = await new_cart(client)
    await client.post(f"/cart/1/carts/{own['id']}/items", json={"sku": "TEA-1", "quantity": 1})
    assert_problem(await client.post(f"/cart/1/carts/{guest['id']}/merge"), 404)  # no token
    merged = await client.post(
        f"/cart/1/carts/{guest['id']}/merge", headers={"Bazaar-Cart-Token": token}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == own["id"]
    assert [(x["sku"], x["quantity"]) for x in merged.json()["lines"]] == [
        ("TEA-1", 3),
        ("MUG-1", 1),
    ]
    closed = await client.get(f"/cart/1/carts/{guest['id']}", headers=as_(GUEST, token))
    assert closed.json()["state"] == "merged"
    again = await client.post(
        f"/cart/1/carts/{guest['id']}/items",
        json={"sku": "TEA-1", "quantity": 1},
        headers=as_(GUEST, token),
    )
    assert_problem(again, 409, "merged")


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"sku": "NOPE-1", "quantity": 1}, 422, "NOPE-1"),
        ({"sku": "GONE-1", "quantity": 1}, 409, "recalled"),
        ({"sku": "NO-CATALOG-1", "quantity": 1}, 503, "catalog answered 404"),
        ({"sku": "TEA-1", "quantity": 0}, 422, "quantity"),
        ({"sku": "TEA-1", "quantity": 1000}, 422, "quantity"),
        ({"sku": "bad sku!", "quantity": 1}, 422, "SKU"),
        ({"sku": "TEA-1"}, 422, "quantity"),
        ({"sku": "TEA-1", "quantity": 1, "version": 0}, 422, "version"),
    ],
)
async def test_bad_items_get_a_problem_with_a_useful_detail(
    shop: Shop, body: dict[str, Any], status: int, fragment: str
) -> None:
    client, upstream = shop
    stocked(upstream)
    upstream.withdrawn["GONE-1"] = "recalled"
    cart = await new_cart(client)
    assert_problem(
        await client.post(f"/cart/1/carts/{cart['id']}/items", json=body), status, fragment
    )


async def test_an_unknown_cart_is_404_and_a_cart_without_a_caller_is_401(shop: Shop) -> None:
    client, _ = shop
    assert_problem(await client.get("/cart/1/carts/nope"), 404, "nope")
    reply = await client.get("/cart/1/carts/nope", headers={"bazaar-identity": ""})
    assert_problem(reply, 401)
