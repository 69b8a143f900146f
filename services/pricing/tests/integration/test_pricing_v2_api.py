"""Pricing API v2 beside v1 on one store: a list written through either major is read correctly
through the other, one version counter guards both, and each change is announced in both majors
of price_changed. Store-touching tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bazaar_chassis import Event, ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, eventually, running_app
from bazaar_pricing import events
from bazaar_pricing.service import build_app

V1 = "/pricing/1/prices"
V2 = "/pricing/2/prices"

BASE_USD = {"amount": 1299, "currency": "USD"}
BULK_USD = {"amount": 999, "currency": "USD", "min_quantity": 10}
WHOLESALE_USD = {"amount": 899, "currency": "USD", "customer_group": "wholesale"}
SALE_USD = {
    "amount": 1099,
    "currency": "USD",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": "2099-01-01T00:00:00Z",
}
BASE_EUR = {"amount": 1150, "currency": "EUR"}
OPEN = {"min_quantity": 1, "customer_group": None, "valid_from": None, "valid_until": None}


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = build_app(service_settings)
    async with running_app(app) as client:
        yield client
        await eventually(
            lambda: _outbox_is_empty(app), message="the outbox never drained"
        )  # see test_pricing_api.py: shut down only once the relay is idle


async def _outbox_is_empty(app: FastAPI) -> bool:
    backlog: int = await app.state.runtime.relay.backlog()
    return backlog == 0


def a_sku() -> str:
    return f"COF-{uuid.uuid4().hex[:8]}"


def full(row: dict[str, Any]) -> dict[str, Any]:
    return {**OPEN, **row}


def in_currency(row: dict[str, Any]) -> dict[str, Any]:
    """A row as v2 events list it, under its currency."""
    return {k: v for k, v in full(row).items() if k != "currency"}


async def put_v2(client: httpx.AsyncClient, sku: str, *rows: dict[str, Any], **extra: Any) -> Any:
    reply = await client.put(f"{V2}/{sku}", json={"prices": list(rows), **extra})
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.each_database
async def test_a_v2_list_reads_back_whole_through_v2_and_as_its_base_prices_through_v1(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    written = await put_v2(client, sku, BULK_USD, SALE_USD, BASE_EUR, WHOLESALE_USD, BASE_USD)
    assert written["version"] == 1
    assert written["prices"] == [
        full(BASE_EUR),
        full(BASE_USD),
        full(SALE_USD),  # currency, group, tier, window: the sale sorts before the tier
        full(BULK_USD),
        full(WHOLESALE_USD),
    ]
    assert (await client.get(f"{V2}/{sku}")).json() == written

    v1_default = (await client.get(f"{V1}/{sku}")).json()
    assert (v1_default["amount"], v1_default["currency"], v1_default["version"]) == (
        1299,
        "USD",
        1,
    )
    v1_eur = (await client.get(f"{V1}/{sku}", params={"currency": "EUR"})).json()
    assert (v1_eur["amount"], v1_eur["currency"]) == (1150, "EUR")


@pytest.mark.each_database
async def test_a_v1_write_is_the_base_row_in_v2_and_leaves_the_v2_rows_alone(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    v1 = await client.put(f"{V1}/{sku}", json={"amount": 1299, "currency": "USD"})
    assert v1.json()["version"] == 1
    assert (await client.get(f"{V2}/{sku}")).json()["prices"] == [full(BASE_USD)]

    await put_v2(client, sku, BASE_USD, BULK_USD, version=1)
    again = await client.put(f"{V1}/{sku}", json={"amount": 1399, "currency": "USD", "version": 2})
    assert again.json()["version"] == 3
    read = (await client.get(f"{V2}/{sku}")).json()
    assert (read["version"], read["prices"]) == (
        3,
        [full({**BASE_USD, "amount": 1399}), full(BULK_USD)],
    )


@pytest.mark.each_database
async def test_one_version_guards_both_majors(client: httpx.AsyncClient) -> None:
    sku = a_sku()
    await client.put(f"{V1}/{sku}", json={"amount": 1299, "currency": "USD"})
    await put_v2(client, sku, BASE_USD, BASE_EUR)  # version 2
    stale_v2 = await client.put(f"{V2}/{sku}", json={"prices": [BASE_USD], "version": 1})
    assert_problem(stale_v2, 409, "version")
    stale_v1 = await client.put(f"{V1}/{sku}", json={"amount": 1, "currency": "USD", "version": 1})
    assert_problem(stale_v1, 409, "version")
    assert (await client.get(f"{V2}/{sku}")).json()["version"] == 2


async def test_a_list_without_a_base_row_has_no_v1_price_in_that_currency(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    await put_v2(client, sku, BULK_USD, WHOLESALE_USD, BASE_EUR)
    assert_problem(await client.get(f"{V1}/{sku}", params={"currency": "USD"}), 404, "USD")
    only = (await client.get(f"{V1}/{sku}")).json()  # its only base price
    assert (only["amount"], only["currency"]) == (1150, "EUR")


async def test_writing_the_same_list_again_is_not_a_change(client: httpx.AsyncClient) -> None:
    sku = a_sku()
    first = await put_v2(client, sku, BASE_USD, SALE_USD)
    assert (await put_v2(client, sku, SALE_USD, BASE_USD))["version"] == first["version"]


async def test_a_change_through_either_major_is_announced_in_both_event_majors(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await put_v2(client, sku, BASE_USD, BULK_USD, BASE_EUR)
    await client.put(f"{V1}/{sku}", json={"amount": 1399, "currency": "USD"})
    for sequence in (1, 2):

        def twin(event_type: str, sequence: int = sequence) -> Callable[[Event], bool]:
            return lambda e: e.sequence == sequence and e.type == event_type

        v1 = await event_probe.expect(
            "pricing.price_changed", subject=sku, where=twin(events.PRICE_CHANGED)
        )
        v2 = await event_probe.expect(
            "pricing.price_changed", subject=sku, where=twin(events.PRICE_CHANGED_V2)
        )
        events.PriceChanged.model_validate(v1.data)
        events.PriceChangedV2.model_validate(v2.data)
    assert v1.data["base_prices"] == [
        {"amount": 1150, "currency": "EUR"},
        {"amount": 1399, "currency": "USD"},
    ]
    assert v2.data == {
        "sku": sku,
        "currencies": [
            {
                "currency": "EUR",
                "base_amount": 1150,
                "prices": [in_currency(BASE_EUR)],
            },
            {
                "currency": "USD",
                "base_amount": 1399,
                "prices": [
                    {
                        k: v
                        for k, v in full({**BASE_USD, "amount": 1399}).items()
                        if k != "currency"
                    },
                    {k: v for k, v in full(BULK_USD).items() if k != "currency"},
                ],
            },
        ],
    }


async def test_a_quote_applies_the_selection_rule(client: httpx.AsyncClient) -> None:
    sku = a_sku()
    await put_v2(client, sku, BASE_USD, BULK_USD, WHOLESALE_USD, SALE_USD)

    async def quoted(**params: Any) -> int:
        reply = await client.get(f"{V2}/{sku}/quote", params={"currency": "USD", **params})
        assert reply.status_code == 200, reply.text
        amount: int = reply.json()["price"]["amount"]
        return amount

    assert await quoted() == 1099  # the sale beats the regular price
    assert await quoted(quantity=10) == 999  # the deepest tier wins first
    assert await quoted(customer_group="wholesale") == 899
    assert_problem(await client.get(f"{V2}/{sku}/quote", params={"currency": "EUR"}), 404, "EUR")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prices": [BASE_USD, {**BASE_USD, "amount": 1}]}, "keep one"),
        ({"prices": [{**BASE_USD, "currency": "usd"}]}, "'usd'"),
        ({"prices": [{**SALE_USD, "valid_from": "2026-01-01T00:00:00"}]}, "time zone"),
        (
            {"prices": [{**SALE_USD, "valid_until": "2025-01-01T00:00:00Z"}]},
            "must be before",
        ),
        ({"prices": [{**BASE_USD, "customer_group": "Whole Sale"}]}, "'Whole Sale'"),
        ({"prices": [{**BASE_USD, "min_quantity": 0}]}, "min_quantity"),
        ({"prices": [BASE_USD], "base_prices": []}, "base_prices"),
        ({"amount": 1299, "currency": "USD"}, "prices"),
    ],
)
async def test_a_bad_v2_list_gets_a_problem_naming_what_is_wrong(
    client: httpx.AsyncClient, body: dict[str, Any], fragment: str
) -> None:
    sku = a_sku()
    assert_problem(await client.put(f"{V2}/{sku}", json=body), 422, fragment)
    assert_problem(await client.get(f"{V2}/{sku}"), 404, sku)


@pytest.mark.each_database
async def test_a_tier_beyond_any_quantity_is_refused_naming_min_quantity_and_the_list_stays(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    await put_v2(client, sku, BASE_USD)
    huge_tier = {**BULK_USD, "min_quantity": 10**12}  # prices.min_quantity is a 32-bit column
    problem = assert_problem(
        await client.put(f"{V2}/{sku}", json={"prices": [BASE_USD, huge_tier]}), 422, "min_quantity"
    )
    assert problem["errors"][0]["field"] == "prices.1.min_quantity"
    kept = (await client.get(f"{V2}/{sku}")).json()
    assert (kept["version"], kept["prices"]) == (1, [full(BASE_USD)])
