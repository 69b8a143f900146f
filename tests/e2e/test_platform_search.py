"""Search on a real `bazaar up`: a guest finds a seeded product through the gateway, and a product
a merchandiser renames and reprices is found under its new name and price within seconds."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import eventually_sync
from bazaar_cli.demo_data import PRODUCTS

from .conftest import seeded_in

pytestmark = pytest.mark.e2e

WITHIN_SECONDS = 10.0


def skus(guest: httpx.Client, **params: Any) -> list[str]:
    reply = guest.get("/search/1/products", params=params)
    assert reply.status_code == 200, reply.text
    return [item["sku"] for item in reply.json()["items"]]


def test_a_guest_finds_a_seeded_product_through_the_gateway_even_misspelt(
    guest: httpx.Client,
) -> None:
    blend = next(p for p in PRODUCTS if p.name == "House Espresso Blend")
    eventually_sync(
        lambda: skus(guest, q="espresso") == [blend.sku],
        timeout=WITHIN_SECONDS,
        message="search never indexed the seeded espresso",
    )
    reply = guest.get("/search/1/products", params={"q": "espreso"})
    assert reply.headers["Bazaar-Served-By"].startswith("search/")
    found = reply.json()
    assert found["items"][0] == {
        "sku": blend.sku,
        "name": blend.name,
        "price": {"amount": blend.price, "currency": "USD"},
        "available": blend.stock,
        "in_stock": blend.stock > 0,
    }
    assert found["corrections"] == {"espreso": ["espresso"]}


def test_a_guest_filters_the_seeded_catalog_and_gets_facets_with_counts(
    guest: httpx.Client,
) -> None:
    # other tests on the shared platform add products of their own: at least the seeded ones
    expected = {"coffee": len(seeded_in("coffee")), "tea": len(seeded_in("tea"))}

    def all_drinks() -> dict[str, Any] | None:
        found: dict[str, Any] = guest.get(
            "/search/1/products", params={"category": "drinks"}
        ).json()
        counts = found["facets"]["category"]
        placed = all(counts.get(key, 0) >= n for key, n in expected.items())
        return found if placed else None

    drinks = eventually_sync(
        all_drinks, timeout=WITHIN_SECONDS, message="search never placed coffee and tea in drinks"
    )
    # a parent category finds its children's
    assert drinks["total"] == sum(drinks["facets"]["category"].values())
    assert sum(drinks["facets"]["in_stock"].values()) == drinks["total"]
    bad = guest.get("/search/1/products", params={"offset": 10**9})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_a_renamed_and_repriced_product_is_found_under_its_new_name_and_price(
    gateway: httpx.Client, guest: httpx.Client
) -> None:
    sku = f"SRCH-{uuid.uuid4().hex[:6].upper()}"
    old, new = f"Zanzibar{uuid.uuid4().hex[:4]}", f"Quokka{uuid.uuid4().hex[:4]}"
    created = gateway.post("/product/1/products", json={"sku": sku, "name": f"{old} kettle"})
    assert created.status_code == 201, created.text
    assert gateway.put(
        f"/pricing/1/prices/{sku}", json={"amount": 3100, "currency": "USD"}
    ).is_success
    eventually_sync(lambda: skus(guest, q=old) == [sku], timeout=WITHIN_SECONDS)

    renamed = gateway.patch(
        f"/product/1/products/{sku}", json={"version": created.json()["version"], "name": new}
    )
    assert renamed.status_code == 200, renamed.text
    assert gateway.put(
        f"/pricing/1/prices/{sku}", json={"amount": 4200, "currency": "USD"}
    ).is_success
    eventually_sync(
        lambda: skus(guest, q=new, min_price=4200, max_price=4200) == [sku],
        timeout=WITHIN_SECONDS,
        message="the renamed, repriced product was not found under its new name and price",
    )
    assert skus(guest, q=old) == []
