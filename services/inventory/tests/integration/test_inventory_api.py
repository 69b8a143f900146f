"""The stock API, v1 and v2, against a real SQLite file and a real NATS server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from importlib.metadata import version

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, running_app
from bazaar_inventory.service import build_app

V1 = "/inventory/1"
V2 = "/inventory/2"


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


def a_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


async def put_stock(client: httpx.AsyncClient, sku: str, quantity: int) -> httpx.Response:
    reply = await client.put(f"{V1}/stock/{sku}", json={"quantity": quantity})
    assert reply.status_code == 200, reply.text
    return reply


async def test_stock_set_through_v1_is_readable_and_announced_with_its_version(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    written = await put_stock(client, sku, 20)
    expected = {"sku": sku, "on_hand": 20, "reserved": 0, "available": 20, "version": 1,
                "quarantine": None}  # fmt: skip
    assert written.json() == expected
    assert (await client.get(f"{V1}/stock/{sku}")).json() == expected

    event = await event_probe.expect("inventory.stock_changed", subject=sku)
    assert event.type == "inventory.stock_changed.v1"
    assert event.nats_subject == "bazaar.inventory.stock_changed"
    assert event.source == f"/inventory/{version('bazaar-inventory')}"
    assert event.sequence == 1
    assert event.data == {
        "sku": sku,
        "on_hand": 20,
        "reserved": 0,
        "available": 20,
        "locations": [{"location": "default", "on_hand": 20, "reserved": 0, "available": 20}],
    }


async def test_every_change_bumps_the_version_that_becomes_the_event_sequence(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 20)
    reserved = await client.post(
        f"{V1}/reservations", json={"sku": sku, "quantity": 3, "reference": "cart-1"}
    )
    assert reserved.status_code == 201
    again = await put_stock(client, sku, 25)
    assert again.json()["version"] == 3
    assert again.json()["available"] == 22

    event = await event_probe.expect(
        "inventory.stock_changed", subject=sku, where=lambda e: e.sequence == 2
    )
    assert event.data == {
        "sku": sku,
        "on_hand": 20,
        "reserved": 3,
        "available": 17,
        "locations": [{"location": "default", "on_hand": 20, "reserved": 3, "available": 17}],
    }
    last = await event_probe.expect(
        "inventory.stock_changed", subject=sku, where=lambda e: e.sequence == 3
    )
    assert (last.data["on_hand"], last.data["available"]) == (25, 22)


@pytest.mark.each_database
async def test_v1_and_v2_read_and_write_the_same_stock(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 5)
    per_location = await client.put(f"{V2}/stock/{sku}/locations/berlin-1", json={"quantity": 7})
    assert per_location.status_code == 200
    v2_view = {
        "sku": sku,
        "available": 12,
        "version": 2,
        "locations": [
            {"location": "berlin-1", "on_hand": 7, "reserved": 0, "available": 7},
            {"location": "default", "on_hand": 5, "reserved": 0, "available": 5},
        ],
        "quarantine": None,
    }
    assert per_location.json() == v2_view
    assert (await client.get(f"{V2}/stock/{sku}")).json() == v2_view
    v1_view = (await client.get(f"{V1}/stock/{sku}")).json()
    # v1 available = what one v1 reservation can hold: the most at any one location
    assert v1_view == {"sku": sku, "on_hand": 12, "reserved": 0, "available": 7, "version": 2,
                       "quarantine": None}  # fmt: skip

    event = await event_probe.expect(
        "inventory.stock_changed", subject=sku, where=lambda e: e.sequence == 2
    )
    assert [level["location"] for level in event.data["locations"]] == ["berlin-1", "default"]


@pytest.mark.each_database
async def test_a_v1_reservation_is_held_where_the_most_is_available(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    await put_stock(client, sku, 5)
    await client.put(f"{V2}/stock/{sku}/locations/berlin", json={"quantity": 7})
    reply = await client.post(
        f"{V1}/reservations", json={"sku": sku, "quantity": 6, "reference": "cart-9"}
    )
    assert reply.status_code == 201
    assert reply.json()["location"] == "berlin"
    too_big = await client.post(
        f"{V1}/reservations", json={"sku": sku, "quantity": 6, "reference": "cart-10"}
    )
    assert too_big.status_code == 409
    assert "at most 5 available in one location (6 in total)" in too_big.json()["detail"]


@pytest.mark.each_database
async def test_a_version_in_the_body_makes_the_write_conditional(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    first = await client.put(f"{V1}/stock/{sku}", json={"quantity": 4, "version": 0})
    assert first.json()["version"] == 1
    second = await client.put(f"{V1}/stock/{sku}", json={"quantity": 6, "version": 1})
    assert second.json() == {"sku": sku, "on_hand": 6, "reserved": 0, "available": 6, "version": 2,
                             "quarantine": None}  # fmt: skip
    lost = await client.put(f"{V1}/stock/{sku}", json={"quantity": 9, "version": 1})
    assert lost.status_code == 409
    assert "version 2" in lost.json()["detail"]
    assert (await client.get(f"{V1}/stock/{sku}")).json()["on_hand"] == 6


@pytest.mark.each_database
async def test_several_skus_are_read_in_one_call_leaving_out_unknown_ones(
    client: httpx.AsyncClient,
) -> None:
    first, second = a_sku(), a_sku()
    await put_stock(client, first, 1)
    await put_stock(client, second, 2)
    reply = await client.get(f"{V1}/stock", params={"skus": f"{second},NEVER-STOCKED,{first}"})
    assert reply.status_code == 200
    assert [(i["sku"], i["on_hand"]) for i in reply.json()["items"]] == [(second, 2), (first, 1)]


STOCKED = "STOCKED-1"  # 5 on hand, 2 reserved, version 2: set up before each bad-input case
RESERVE = f"{V1}/reservations"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail_fragment"),
    [
        ("put", f"{V1}/stock/A-1", {"quantity": -1}, 422, "quantity"),
        ("put", f"{V1}/stock/A-1", {"quantity": 2.5}, 422, "quantity"),
        ("put", f"{V1}/stock/A-1", {"quantity": "3"}, 422, "quantity"),
        ("put", f"{V1}/stock/A-1", {"quantity": 10**9 + 1}, 422, "quantity"),
        ("put", f"{V1}/stock/A-1", {}, 422, "quantity: Field required"),
        ("put", f"{V1}/stock/bad sku", {"quantity": 1}, 422, "SKU 'bad sku' is invalid"),
        ("put", f"{V1}/stock/{STOCKED}", {"quantity": 6, "version": 1}, 409, "version 2"),
        ("put", f"{V1}/stock/{STOCKED}", {"quantity": 1}, 409, "2 are reserved"),
        ("get", f"{V1}/stock/NOPE-404", None, 404, "NOPE-404"),
        ("get", f"{V1}/stock", None, 422, "skus"),
        ("get", f"{V1}/stock?skus=,", None, 422, "1 to 100"),
        ("get", f"{V1}/stock?skus=" + ",".join(f"S{i}" for i in range(101)), None, 422, "101"),
        ("put", f"{V2}/stock/A-1/locations/Berlin", {"quantity": 1}, 422, "location 'Berlin'"),
        ("put", f"{V2}/stock/A-1/locations/{'a' * 33}", {"quantity": 1}, 422, "location"),
        ("put", f"{V2}/stock/A-1/locations/b", {"quantity": -3}, 422, "quantity"),
        (
            "put",
            f"{V2}/stock/{STOCKED}/locations/default",
            {"quantity": 9, "version": 1},
            409,
            "version 2",
        ),
        ("get", f"{V2}/stock/NOPE-404", None, 404, "NOPE-404"),
        ("post", RESERVE, {"sku": "NOPE-404", "quantity": 1, "reference": "c"}, 404, "NOPE-404"),
        ("post", RESERVE, {"sku": STOCKED, "quantity": 0, "reference": "c"}, 422, "quantity"),
        ("post", RESERVE, {"sku": STOCKED, "quantity": 4, "reference": "c"}, 409, "only 3"),
        (
            "post",
            RESERVE,
            {"sku": STOCKED, "quantity": 1, "reference": "c", "ttl_seconds": 0},
            422,
            "ttl_seconds",
        ),
        (
            "post",
            RESERVE,
            {"sku": STOCKED, "quantity": 1, "reference": "c", "ttl_seconds": 86_401},
            422,
            "ttl_seconds",
        ),
        ("post", RESERVE, {"sku": STOCKED, "quantity": 1}, 422, "reference: Field required"),
        ("post", RESERVE, {"sku": STOCKED, "quantity": 1, "reference": ""}, 422, "reference"),
        ("post", RESERVE, {"quantity": 1, "reference": "c"}, 422, "sku: Field required"),
        ("post", RESERVE, b'{"sku": ', 400, "not valid JSON"),
        ("get", f"{RESERVE}/no-such-id", None, 404, "no-such-id"),
        ("delete", f"{RESERVE}/no-such-id", None, 404, "no-such-id"),
    ],
)
async def test_bad_input_gets_a_problem_whose_detail_names_it(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    detail_fragment: str,
) -> None:
    await put_stock(client, STOCKED, 5)
    hold = {"sku": STOCKED, "quantity": 2, "reference": "setup"}
    assert (await client.post(RESERVE, json=hold)).status_code == 201

    if isinstance(body, bytes):
        headers = {"content-type": "application/json"}
        reply = await client.request(method, path, content=body, headers=headers)
    else:
        reply = await client.request(method, path, json=body)

    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == status
    assert detail_fragment in problem["detail"]


@pytest.mark.each_database
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (f"{V2}/stock/{{sku}}/locations/{'a' * 32}%0A", {"quantity": 1}, "location"),
        (f"{V1}/stock/{{sku}}", {"quantity": 1, "version": 2**31}, "version"),
        (f"{V2}/stock/{{sku}}/locations/default", {"quantity": 1, "version": 2**31}, "version"),
    ],
)
async def test_a_location_or_version_beyond_its_column_is_refused_naming_it_and_stock_stays(
    client: httpx.AsyncClient, path: str, body: dict[str, int], field: str
) -> None:
    sku = a_sku()
    before = (await put_stock(client, sku, 5)).json()
    assert_problem(await client.put(path.format(sku=sku), json=body), 422, field)
    assert (await client.get(f"{V1}/stock/{sku}")).json() == before
    locations = (await client.get(f"{V2}/stock/{sku}")).json()["locations"]
    assert [level["location"] for level in locations] == ["default"]


@pytest.mark.each_database
async def test_a_reference_holding_a_nul_character_is_refused_naming_it_and_nothing_is_held(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    before = (await put_stock(client, sku, 5)).json()
    hold = {"sku": sku, "quantity": 2, "reference": "cart\u00001"}  # no U+0000 in PostgreSQL text
    assert_problem(await client.post(f"{V1}/reservations", json=hold), 422, "reference")
    assert (await client.get(f"{V1}/stock/{sku}")).json() == before
