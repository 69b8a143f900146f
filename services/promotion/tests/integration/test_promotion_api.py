"""The promotion API against a real SQLite file and a real NATS server: who may write, what is
announced, and bad input answered as problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bazaar_chassis import Caller, ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, identity_headers, running_app
from bazaar_promotion.service import build_app

JENN = Caller(
    subject="jenn", kind="user", organization="bazaar", roles=("marketing",), email="jenn@x.test"
)
SHOPPER = Caller(subject="ann", kind="user", organization="public", roles=("customer",))
GUEST = Caller(subject="guest", kind="guest", organization="public", roles=("guest",))
AS_JENN = identity_headers(JENN)
AS_SHOPPER = identity_headers(SHOPPER)
AS_GUEST = identity_headers(GUEST)
PROMOTIONS = "/promotion/1/promotions"


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings), caller=JENN) as client:
        yield client


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "10% off coffee", "kind": "percentage", "value": 10, **fields}
    reply = await client.post(PROMOTIONS, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


async def test_jenn_creates_a_promotion_and_it_is_announced_whole(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    created = await create(
        client,
        predicate={"categories": ["coffee"]},
        priority=10,
        stacking="exclusive",
        valid_until="2099-01-01T00:00:00Z",
    )
    assert (created["version"], created["active"], created["value"]) == (1, True, 10.0)
    read = await client.get(f"{PROMOTIONS}/{created['id']}")
    assert read.json() == created
    event = await event_probe.expect("promotion.promotion_changed", subject=created["id"])
    assert event.sequence == 1
    assert event.data["predicate"] == {"categories": ["coffee"]}
    assert event.data["stacking"] == "exclusive"
    assert event.data["valid_until"].startswith("2099-01-01T00:00:00")
    assert event.source == "/promotion/1.0.0"


async def test_a_customer_may_not_write_promotions_even_past_the_gateway(
    client: httpx.AsyncClient,
) -> None:
    body = {"name": "free stuff", "kind": "percentage", "value": 100}
    refused = await client.post(PROMOTIONS, json=body, headers=AS_SHOPPER)
    assert_problem(refused, 403, "marketing")
    created = await create(client)
    patched = await client.patch(
        f"{PROMOTIONS}/{created['id']}", json={"version": 1, "value": 100}, headers=AS_SHOPPER
    )
    assert_problem(patched, 403, "change promotions")
    code = await client.post(
        f"{PROMOTIONS}/{created['id']}/codes",
        json={"code": "MINE", "usage_limit": 1},
        headers=AS_SHOPPER,
    )
    assert_problem(code, 403, "add discount codes")
    assert_problem(await client.get("/promotion/1/codes/MINE", headers=AS_SHOPPER), 403, "codes")
    listed = await client.get(PROMOTIONS)
    assert [p["id"] for p in listed.json()["items"]] == [created["id"]]


async def test_shoppers_and_guests_see_only_what_is_on_offer(client: httpx.AsyncClient) -> None:
    on = await create(client)
    ended = await create(client, active=False)
    future = await create(client, valid_from="2099-01-01T00:00:00Z")
    for headers in (AS_SHOPPER, AS_GUEST):
        listed = await client.get(PROMOTIONS, headers=headers)
        assert [p["id"] for p in listed.json()["items"]] == [on["id"]]
        hidden = await client.get(f"{PROMOTIONS}/{ended['id']}", headers=headers)
        assert_problem(hidden, 404, ended["id"])
    staff = await client.get(PROMOTIONS)
    assert {p["id"] for p in staff.json()["items"]} == {on["id"], ended["id"], future["id"]}


async def test_a_stale_patch_is_refused_and_ending_a_promotion_is_announced(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    created = await create(client)
    path = f"{PROMOTIONS}/{created['id']}"
    ended = await client.patch(path, json={"version": 1, "active": False})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["version"]) == (False, 2)
    stale = await client.patch(path, json={"version": 1, "value": 50})
    assert_problem(stale, 409, "version 2")
    assert (await client.get(path)).json()["value"] == 10.0
    event = await event_probe.expect(
        "promotion.promotion_changed", subject=created["id"], where=lambda e: e.sequence == 2
    )
    assert event.data["active"] is False


async def test_a_code_is_added_read_with_its_uses_and_announced(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    created = await create(client, requires_code=True)
    added = await client.post(
        f"{PROMOTIONS}/{created['id']}/codes", json={"code": "spring-25", "usage_limit": 3}
    )
    assert added.status_code == 201, added.text
    assert added.json()["code"] == "SPRING-25"
    read = await client.get("/promotion/1/codes/spring-25")
    assert {k: read.json()[k] for k in ("uses", "usage_limit", "promotion_id")} == {
        "uses": 0,
        "usage_limit": 3,
        "promotion_id": created["id"],
    }
    event = await event_probe.expect("promotion.code_changed", subject="SPRING-25")
    assert (event.data["uses"], event.data["usage_limit"], event.sequence) == (0, 3, 1)
    again = await client.post(
        f"{PROMOTIONS}/{created['id']}/codes", json={"code": "SPRING-25", "usage_limit": 1}
    )
    assert_problem(again, 409, "SPRING-25")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"kind": "percentage", "value": 120}, "percent 120"),
        ({"kind": "percentage", "value": -1}, "percent -1"),
        ({"kind": "fixed", "value": {"amount": 500}}, "currency"),
        ({"kind": "fixed", "value": {"amount": 500, "currency": "usd"}}, "ISO 4217"),
        ({"kind": "fixed", "value": 5}, "Money"),
        ({"kind": "threshold", "value": 5}, "threshold"),
        ({"kind": "buy_x_get_y", "buy": 0, "get": 1}, "buy >= 1"),
        ({"kind": "bogus", "value": 5}, "kind"),
        (
            {
                "kind": "percentage",
                "value": 5,
                "valid_from": "2030-01-02T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
            "before valid_until",
        ),
        ({"kind": "percentage", "value": 5, "valid_from": "2030-01-02T00:00:00"}, "timezone"),
        ({"kind": "percentage", "value": 5, "predicate": {"brand": ["x"]}}, "predicate"),
    ],
)
async def test_bad_promotions_get_a_422_naming_the_rule(
    client: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    reply = await client.post(PROMOTIONS, json={"name": "x", **body})
    assert_problem(reply, 422, fragment)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"code": "has space", "usage_limit": 1}, "is invalid"),
        ({"code": "OK10", "usage_limit": 0}, "usage_limit 0"),
        ({"code": "OK10"}, "usage_limit"),
        (
            {"code": "OK10", "usage_limit": 1, "valid_until": "2000-01-01T00:00:00Z"},
            "before valid_until",
        ),
    ],
)
async def test_bad_codes_get_a_422_naming_the_rule(
    client: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    created = await create(client)
    reply = await client.post(f"{PROMOTIONS}/{created['id']}/codes", json=body)
    assert_problem(reply, 422, fragment)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("get", f"{PROMOTIONS}/nope", None, 404, "nope"),
        ("patch", f"{PROMOTIONS}/nope", {"version": 1}, 404, "nope"),
        ("patch", f"{PROMOTIONS}/nope", {"version": 0}, 422, "version"),
        ("post", f"{PROMOTIONS}/nope/codes", {"code": "ABC", "usage_limit": 1}, 404, "nope"),
        ("get", "/promotion/1/codes/NOPE", None, 404, "NOPE"),
    ],
)
async def test_unknown_things_and_bad_versions_are_problems(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    fragment: str,
) -> None:
    assert_problem(await client.request(method, path, json=body), status, fragment)


async def test_a_patch_cannot_null_a_required_term_or_break_the_kind(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)
    path = f"{PROMOTIONS}/{created['id']}"
    assert_problem(await client.patch(path, json={"version": 1, "name": None}), 422, "null")
    assert_problem(await client.patch(path, json={"version": 1, "kind": "fixed"}), 422, "Money")
    switched = await client.patch(
        path, json={"version": 1, "kind": "fixed", "value": {"amount": 300, "currency": "USD"}}
    )
    assert switched.json()["value"] == {"amount": 300, "currency": "USD"}


async def test_a_request_that_bypasses_the_gateway_is_unauthorized(
    service_settings: ServiceSettings,
) -> None:
    async with running_app(build_app(service_settings), caller=None) as anonymous:
        assert_problem(await anonymous.get(PROMOTIONS), 401, "gateway")


@pytest.mark.each_database
async def test_counts_beyond_their_32_bit_columns_are_refused_naming_them_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    huge = 2**31  # promotions.buy and .get, codes.usage_limit: integer columns
    for field, terms in (("buy", {"buy": huge, "get": 1}), ("get", {"buy": 2, "get": huge})):
        body = {"name": "x", "kind": "buy_x_get_y", **terms}
        assert_problem(await client.post(PROMOTIONS, json=body), 422, f"{field}: Input")
    assert (await client.get(PROMOTIONS)).json()["items"] == []

    created = await create(client, kind="buy_x_get_y", value=None, buy=2, get=1)
    path = f"{PROMOTIONS}/{created['id']}"
    assert_problem(await client.patch(path, json={"version": 1, "get": huge}), 422, "get")
    assert (await client.get(path)).json() == created

    code = {"code": "HUGE10", "usage_limit": huge}
    assert_problem(await client.post(f"{path}/codes", json=code), 422, "usage_limit")
    assert_problem(await client.get("/promotion/1/codes/HUGE10"), 404, "HUGE10")


@pytest.mark.each_database
async def test_a_name_holding_a_nul_character_is_refused_naming_it_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    name = "10%\u0000off"  # PostgreSQL's text types cannot hold U+0000
    body = {"name": name, "kind": "percentage", "value": 10}
    assert_problem(await client.post(PROMOTIONS, json=body), 422, "name")
    assert (await client.get(PROMOTIONS)).json()["items"] == []
    created = await create(client)
    path = f"{PROMOTIONS}/{created['id']}"
    assert_problem(await client.patch(path, json={"version": 1, "name": name}), 422, "name")
    assert (await client.get(path)).json() == created
