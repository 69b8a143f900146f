"""The README's first command, end to end: `bazaar up` from a fresh data dir, through the
gateway, then stopped and started again on the same data."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Platform, sign_in, start_platform

pytestmark = pytest.mark.e2e


def wait_for(check: Callable[[], Any], *, timeout: float = 10.0, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.05)


def test_the_coffee_page_has_ten_products_with_price_and_stock_in_one_request(
    guest: httpx.Client,
) -> None:
    reply = guest.get("/catalog/1/categories/coffee/products", params={"limit": 10})
    assert reply.status_code == 200
    page = reply.json()
    assert page["total"] >= 12
    assert len(page["items"]) == 10
    for item in page["items"]:
        assert item["name"]
        assert item["price"]["currency"] == "USD"
        assert item["price"]["amount"] > 0
        assert isinstance(item["available"], int)
    assert reply.headers["Bazaar-Served-By"].startswith("catalog/")


def test_a_price_change_and_a_stock_change_reach_the_catalog(gateway: httpx.Client) -> None:
    sku = "COF-004"
    price = gateway.put(f"/pricing/1/prices/{sku}", json={"amount": 4321, "currency": "USD"})
    stock = gateway.put(f"/inventory/1/stock/{sku}", json={"quantity": 77})
    assert (price.status_code, stock.status_code) == (200, 200)

    def catalog_shows_both() -> bool:
        item = gateway.get(f"/catalog/1/products/{sku}").json()
        return bool(item["price"]["amount"] == 4321 and item["available"] == 77)

    wait_for(catalog_shows_both, timeout=10, what="the catalog did not show the changes")


def test_force_inventory_sync_reads_inventory_through_the_gateway(gateway: httpx.Client) -> None:
    reply = gateway.get("/catalog/1/products/TEA-001", params={"forceInventorySync": "true"})
    assert reply.status_code == 200
    assert reply.json()["inventory_synced"] is True
    truth = gateway.get("/inventory/1/stock/TEA-001").json()["available"]
    assert reply.json()["available"] == truth


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("get", "/product/1/products/NO-SUCH-SKU", None, 404),
        ("put", "/inventory/1/stock/COF-001", {"quantity": -1}, 422),
        ("put", "/pricing/1/prices/COF-001", {"amount": 100, "currency": "XYZ"}, 422),
        ("post", "/product/1/products", "{not json", 400),
        ("patch", "/product/1/products/COF-001", {"version": 999, "name": "x"}, 409),
        ("get", "/catalog/1/categories/no-such-category/products", None, 404),
        ("get", "/nowhere/1/at-all", None, 403),  # authorized before looked up: no topology
        ("get", "/pricing/9/prices/COF-001", None, 404),
    ],
)
def test_bad_input_through_the_gateway_is_a_problem_never_a_500(
    gateway: httpx.Client, method: str, path: str, body: object, status: int
) -> None:
    if isinstance(body, str):
        reply = gateway.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
    else:
        reply = gateway.request(method, path, json=body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["detail"]


def test_stopping_and_starting_again_keeps_the_data_and_does_not_reseed(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    first = start_platform(data_dir)
    sku = f"KEEP-{uuid.uuid4().hex[:6]}"
    merch = {"Authorization": f"Bearer {sign_in(first.gateway, 'merch@bazaar.test')}"}
    with httpx.Client(base_url=first.gateway, timeout=10, headers=merch) as client:
        assert (
            client.post("/product/1/products", json={"sku": sku, "name": "Kept"}).status_code == 201
        )
    assert first.stop() == 0
    second: Platform = start_platform(data_dir)
    try:
        assert "already seeded" in second.output.read_text()
        merch = {"Authorization": f"Bearer {sign_in(second.gateway, 'merch@bazaar.test')}"}
        with httpx.Client(base_url=second.gateway, timeout=10, headers=merch) as client:
            assert client.get(f"/product/1/products/{sku}").json()["name"] == "Kept"
            assert client.get("/catalog/1/categories/coffee/products").json()["total"] == 14
    finally:
        assert second.stop() == 0
