"""The README's first command, end to end: `bazaar up` from a fresh data dir, through the
gateway, then stopped and started again on the same data."""

from __future__ import annotations

import signal
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import assert_problem, eventually_sync
from bazaar_cli.demo_data import PRODUCTS

from .conftest import Platform, seeded_in, sign_in, start_platform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of this module's own: what it checks is said and shown on a first start."""
    running = start_platform(tmp_path_factory.mktemp("e2e-up") / "data")
    yield running
    running.stop()


@pytest.fixture(scope="module", autouse=True)
def first_coffee_page(platform: Platform) -> httpx.Response:
    """The README's first command, asked once, right after `bazaar up` said it was ready."""
    return httpx.get(f"{platform.gateway}/catalog/1/categories/coffee/products", timeout=10)


def test_the_first_coffee_page_after_ready_is_complete_with_the_seeded_price_and_stock(
    first_coffee_page: httpx.Response,
) -> None:
    assert first_coffee_page.status_code == 200
    page = first_coffee_page.json()
    coffees = seeded_in("coffee")
    assert page["total"] == len(coffees)
    assert [
        (item["sku"], item["name"], item["price"], item["available"]) for item in page["items"]
    ] == [
        (p.sku, p.name, {"amount": p.price, "currency": "USD"}, p.stock)
        for p in coffees[: page["limit"]]
    ]
    assert first_coffee_page.headers["Bazaar-Served-By"].startswith("catalog/")


def test_ready_is_said_only_after_the_catalog_shows_every_seeded_product(
    platform: Platform,
) -> None:
    said = platform.output.read_text()
    steps = [
        "seeded the demo catalog",
        "waiting for the catalog to apply the seed",
        f"shows all {len(PRODUCTS)} seeded products",
        "Bazaar is ready",
        "Press Ctrl-C to stop.",
    ]
    assert all(step in said for step in steps), said
    assert [said.index(step) for step in steps] == sorted(said.index(step) for step in steps), said


def test_a_price_change_and_a_stock_change_reach_the_catalog(gateway: httpx.Client) -> None:
    sku = seeded_in("brewing")[0].sku
    price = gateway.put(f"/pricing/1/prices/{sku}", json={"amount": 4321, "currency": "USD"})
    stock = gateway.put(f"/inventory/1/stock/{sku}", json={"quantity": 77})
    assert (price.status_code, stock.status_code) == (200, 200)

    def catalog_shows_both() -> bool:
        item = gateway.get(f"/catalog/1/products/{sku}").json()
        return bool(item["price"]["amount"] == 4321 and item["available"] == 77)

    eventually_sync(catalog_shows_both, message="the catalog did not show the changes")


def catalog_item(gateway: httpx.Client, sku: str, **params: str) -> dict[str, Any]:
    reply = gateway.get(f"/catalog/1/products/{sku}", params=params)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_force_inventory_sync_answers_what_inventory_holds_not_the_catalogs_copy(
    platform: Platform, gateway: httpx.Client
) -> None:
    sku = seeded_in("tea")[0].sku
    before = gateway.get(f"/inventory/1/stock/{sku}").json()["available"]
    eventually_sync(
        lambda: catalog_item(gateway, sku)["available"] == before,
        message="the catalog never showed the seeded stock",
    )
    # Behind the catalog's back: straight into inventory's database, so no event is published
    # and the catalog's copy can never learn of it; only a synchronous read can.
    with sqlite3.connect(platform.data_dir / "inventory.db", timeout=15) as database:
        database.execute("UPDATE stock SET on_hand = on_hand + 1000 WHERE sku = ?", (sku,))
    assert gateway.get(f"/inventory/1/stock/{sku}").json()["available"] == before + 1000

    copy = catalog_item(gateway, sku)
    synced = catalog_item(gateway, sku, forceInventorySync="true")
    assert (copy["available"], copy["inventory_synced"]) == (before, False)
    assert (synced["available"], synced["inventory_synced"]) == (before + 1000, True)


@pytest.fixture
def inventory_paused(platform: Platform, gateway: httpx.Client) -> Iterator[None]:
    """Inventory stops answering (SIGSTOP: alive, so not restarted, but silent) until the test
    ends; then it resumes and the test waits until it answers again."""
    process = platform.component("inventory")
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)
        sku = seeded_in("tea")[0].sku
        eventually_sync(
            lambda: gateway.get(f"/inventory/1/stock/{sku}").status_code == 200,
            timeout=30,
            message="inventory did not answer again after SIGCONT",
        )


@pytest.mark.usefixtures("inventory_paused")
def test_with_inventory_down_a_forced_sync_is_a_503_and_the_catalogs_copy_still_serves(
    gateway: httpx.Client,
) -> None:
    sku = seeded_in("tea")[1].sku
    forced = gateway.get(f"/catalog/1/products/{sku}", params={"forceInventorySync": "true"})
    assert_problem(forced, 503, "omit forceInventorySync")
    copy = catalog_item(gateway, sku)
    assert (copy["sku"], copy["inventory_synced"]) == (sku, False)


def test_a_killed_service_is_forked_again_by_the_supervisor_and_answers(
    platform: Platform, gateway: httpx.Client
) -> None:
    killed = platform.component("category")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)

    def restarted() -> bool:
        return platform.pid_of("category") != killed.pid

    eventually_sync(restarted, timeout=30, message="the supervisor did not restart category")
    eventually_sync(
        lambda: gateway.get("/category/1/categories").status_code == 200,
        timeout=30,
        message="the restarted category never answered",
    )
    assert "category exited with code -9; restarted" in platform.output.read_text()


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
    assert first.stop(twice=True) == 0  # a second Ctrl-C while stopping stops it all the same
    assert "stopped." in first.output.read_text()
    second: Platform = start_platform(data_dir)
    try:
        assert "already seeded" in second.output.read_text()
        merch = {"Authorization": f"Bearer {sign_in(second.gateway, 'merch@bazaar.test')}"}
        with httpx.Client(base_url=second.gateway, timeout=10, headers=merch) as client:
            assert client.get(f"/product/1/products/{sku}").json()["name"] == "Kept"
            page = client.get("/catalog/1/categories/coffee/products").json()
            assert page["total"] == len(seeded_in("coffee"))
    finally:
        assert second.stop() == 0
