"""Two live majors of one service on a real `bazaar up`: the path major, `?version=` and the
default route agree; v2 shows the same data in its own shape; a write through either major reads
back through the other (pricing and inventory, reservations across locations included); the
gateway names the release that answered and says which majors are deprecated."""

from __future__ import annotations

import os
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from bazaar_chassis.testing import assert_problem, eventually_sync

from .conftest import BAZAAR, Platform, seeded_in

pytestmark = pytest.mark.e2e


def a_sku() -> str:
    return f"VER-{uuid.uuid4().hex[:8]}"


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def test_the_three_ways_to_ask_for_pricing_v1_agree_and_v2_shows_the_same_price_list(
    gateway: httpx.Client,
) -> None:
    sku = a_sku()
    written = ok(gateway.put(f"/pricing/1/prices/{sku}", json={"amount": 1299, "currency": "USD"}))
    replies = [
        gateway.get(f"/pricing/1/prices/{sku}"),
        gateway.get(f"/pricing/prices/{sku}", params={"version": 1}),
        gateway.get(f"/pricing/prices/{sku}"),
    ]
    assert [ok(r) for r in replies] == [written] * 3
    for reply in replies:  # v1 is deprecated: each way of reaching it says so
        assert reply.headers["Bazaar-Served-By"].startswith("pricing/")
        assert reply.headers["Link"] == f'</pricing/2/prices/{sku}>; rel="successor-version"'
        assert "Sunset" in reply.headers

    v2 = gateway.get(f"/pricing/2/prices/{sku}")
    assert ok(v2)["prices"] == [
        {
            "amount": 1299,
            "currency": "USD",
            "min_quantity": 1,
            "customer_group": None,
            "valid_from": None,
            "valid_until": None,
        }
    ]
    assert ok(v2)["version"] == written["version"]
    assert "Deprecation" not in v2.headers
    conflict = gateway.get(f"/pricing/2/prices/{sku}", params={"version": 1})
    assert_problem(conflict, 400, "?version= names 1")


def test_pricing_written_through_v2_reads_through_v1_and_back(gateway: httpx.Client) -> None:
    sku = a_sku()
    listed = ok(
        gateway.put(
            f"/pricing/2/prices/{sku}",
            json={
                "prices": [
                    {"amount": 1299, "currency": "USD"},
                    {"amount": 999, "currency": "USD", "min_quantity": 10},
                    {"amount": 1150, "currency": "EUR"},
                ]
            },
        )
    )
    v1 = ok(gateway.get(f"/pricing/1/prices/{sku}"))
    assert (v1["amount"], v1["currency"], v1["version"]) == (1299, "USD", listed["version"])
    eur = ok(gateway.get(f"/pricing/prices/{sku}", params={"version": 1, "currency": "EUR"}))
    assert (eur["amount"], eur["currency"]) == (1150, "EUR")

    ok(gateway.put(f"/pricing/1/prices/{sku}", json={"amount": 1399, "currency": "USD"}))
    after = ok(gateway.get(f"/pricing/2/prices/{sku}"))
    assert [(p["currency"], p["amount"], p["min_quantity"]) for p in after["prices"]] == [
        ("EUR", 1150, 1),
        ("USD", 1399, 1),
        ("USD", 999, 10),
    ]
    quote = ok(
        gateway.get(f"/pricing/2/prices/{sku}/quote", params={"currency": "USD", "quantity": 12})
    )
    assert quote["price"]["amount"] == 999


def test_the_catalog_shows_a_price_written_through_pricing_v2(
    gateway: httpx.Client, guest: httpx.Client
) -> None:
    sku = seeded_in("coffee")[0].sku  # listed (active) from the start
    ok(
        gateway.put(
            f"/pricing/2/prices/{sku}", json={"prices": [{"amount": 777, "currency": "USD"}]}
        )
    )

    def shown() -> bool:
        reply = guest.get(f"/catalog/1/products/{sku}")
        return reply.status_code == 200 and reply.json()["price"] == {
            "amount": 777,
            "currency": "USD",
        }

    eventually_sync(shown, timeout=15, message="the catalog never showed the v2 price")


def test_inventory_v1_v2_and_the_default_route_agree_and_v1_can_reserve_what_it_sees(
    gateway: httpx.Client,
) -> None:
    sku = a_sku()
    ok(gateway.put(f"/inventory/1/stock/{sku}", json={"quantity": 2}))
    ok(gateway.put(f"/inventory/2/stock/{sku}/locations/berlin", json={"quantity": 5}))
    views = [
        ok(gateway.get(f"/inventory/1/stock/{sku}")),
        ok(gateway.get(f"/inventory/stock/{sku}", params={"version": 1})),
        ok(gateway.get(f"/inventory/stock/{sku}")),
    ]
    one = {"sku": sku, "on_hand": 7, "reserved": 0, "available": 5, "version": 2}
    assert views == [{**one, "quarantine": None}] * 3

    by_location = ok(gateway.get(f"/inventory/2/stock/{sku}"))
    assert by_location["available"] == 7
    assert [(loc["location"], loc["available"]) for loc in by_location["locations"]] == [
        ("berlin", 5),
        ("default", 2),
    ]

    held = ok(
        gateway.post(
            "/inventory/1/reservations", json={"sku": sku, "quantity": 5, "reference": "cart-v"}
        )
    )
    assert held["location"] == "berlin"
    after = ok(gateway.get(f"/inventory/2/stock/{sku}"))
    assert [(loc["location"], loc["reserved"]) for loc in after["locations"]] == [
        ("berlin", 5),
        ("default", 0),
    ]
    assert ok(gateway.get(f"/inventory/1/stock/{sku}"))["available"] == 2
    too_many = gateway.post(
        "/inventory/1/reservations", json={"sku": sku, "quantity": 3, "reference": "cart-w"}
    )
    assert_problem(too_many, 409, "cannot reserve 3")


def test_the_gateway_refuses_a_conflicting_major_for_any_service(platform: Platform) -> None:
    reply = httpx.get(f"{platform.gateway}/catalog/1/categories?version=2", timeout=10)
    assert_problem(reply, 400, "path names major 1")


def test_bazaar_versions_shows_the_live_release_its_instance_majors_weight_and_share(
    platform: Platform, gateway: httpx.Client
) -> None:
    for _ in range(5):  # counted in the share since the gateway started (`--window 0`)
        gateway.get(f"/pricing/1/prices/{a_sku()}")
    shown = subprocess.run(
        [BAZAAR, "versions", "pricing", "--data-dir", str(platform.data_dir), "--window", "0"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "250"},
    )  # fmt: skip
    assert shown.returncode == 0, shown.stdout + shown.stderr
    release = gateway.get(f"/pricing/1/prices/{a_sku()}").headers["Bazaar-Served-By"]
    for expected in (release.removeprefix("pricing/"), "ready", "v1 (deprecated), v2", "100"):
        assert expected in shown.stdout, (expected, shown.stdout)
    assert "100.0%" in shown.stdout, shown.stdout
