"""The customer service on a real NATS server and a real database: identity's and the order's
facts are published here as their producers publish them, and the state is read through the API
(the history tests run on SQLite and again on PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.testing import (
    FactPublisher,
    assert_problem,
    client_as,
    eventually,
    running_app,
)
from bazaar_customer import use_cases
from bazaar_customer.service import build_app
from bazaar_platform.nats_server import NatsServer

ME = "/customer/1/customers/me"


def shopper(name: str = "sam") -> Caller:
    return Caller(
        subject=f"u-{name}-{uuid.uuid4().hex[:6]}",
        kind="user",
        organization="public",
        roles=("customer",),
        email=f"{name}@bazaar.test",
    )


JENN = Caller(subject="u-jenn", kind="user", organization="bazaar", roles=("marketing",))


class Producers:
    """Publishes facts as identity and order do."""

    def __init__(self, facts: FactPublisher) -> None:
        self.facts = facts

    async def registered(self, caller: Caller, *, name: str = "Sam Shopper") -> None:
        await self.facts.publish(
            "identity.user_registered.v1",
            subject=caller.subject,
            sequence=1,
            data={"id": caller.subject, "email": caller.email, "name": name,
                  "organization": caller.organization, "roles": list(caller.roles)},
        )  # fmt: skip

    async def order(
        self, kind: str, order_id: str, caller: Caller, *, sequence: int, at: str, amount: int = 990
    ) -> Event:
        stamp = {"placed": "placed_at", "confirmed": "confirmed_at", "cancelled": "cancelled_at"}
        return await self.facts.publish(
            f"order.{kind}.v1",
            subject=order_id,
            sequence=sequence,
            data={
                "order_id": order_id,
                "customer": {"subject": caller.subject, "email": caller.email},
                "lines": [],
                "total": {"amount": amount, "currency": "USD"},
                "reason": "payment declined: test",
                stamp[kind]: at,
            },
        )


@pytest.fixture
async def producers(nats_server: NatsServer) -> AsyncIterator[Producers]:
    async with FactPublisher.connected(nats_server.url, ["identity", "order"]) as facts:
        yield Producers(facts)


@pytest.fixture
async def app(service_settings: ServiceSettings) -> AsyncIterator[FastAPI]:
    application = build_app(service_settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_registered_user_gets_a_profile_and_before_that_a_provisional_one(
    app: FastAPI, producers: Producers
) -> None:
    sam = shopper()
    async with client_as(app, sam) as client:
        early = await client.get(ME)
        assert early.status_code == 200
        assert (early.json()["registered"], early.json()["email"]) == (False, "sam@bazaar.test")
        await producers.registered(sam)

        async def registered() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(ME)).json()
            return body if body["registered"] else None

        profile = await eventually(registered)
        assert (profile["name"], profile["organization"]) == ("Sam Shopper", "public")


@pytest.mark.each_database
async def test_the_order_history_follows_the_order_facts_newest_first_in_any_arrival_order(
    app: FastAPI, producers: Producers
) -> None:
    sam = shopper()
    await producers.registered(sam)
    confirmed = await producers.order(
        "confirmed", "o-2", sam, sequence=2, at="2026-03-02T10:05:00Z", amount=2000
    )
    await producers.order("placed", "o-2", sam, sequence=1, at="2026-03-02T10:00:00Z")
    await producers.order("placed", "o-1", sam, sequence=1, at="2026-03-01T09:00:00Z")
    await producers.order("cancelled", "o-1", sam, sequence=2, at="2026-03-01T09:01:00Z")
    await producers.facts.redeliver(confirmed)  # the same fact twice changes nothing
    async with client_as(app, sam) as client:

        async def both_final() -> list[dict[str, Any]] | None:
            orders: list[dict[str, Any]] = (await client.get(ME)).json()["orders"]
            statuses = {o["order_id"]: o["status"] for o in orders}
            return orders if statuses == {"o-1": "cancelled", "o-2": "confirmed"} else None

        orders = await eventually(both_final)
    assert [o["order_id"] for o in orders] == ["o-2", "o-1"]
    assert orders[0]["total"] == {"amount": 2000, "currency": "USD"}
    assert orders[0]["placed_at"].startswith("2026-03-02T10:00:00")


@pytest.mark.each_database
async def test_an_address_is_put_replaced_read_and_deleted(app: FastAPI) -> None:
    sam = shopper()
    home = {"line1": "1 Market St", "city": "San Francisco", "postal_code": "94105",
            "country": "us"}  # fmt: skip
    async with client_as(app, sam) as client:
        put = await client.put(f"{ME}/addresses/home", json=home)
        assert put.status_code == 200, put.text
        assert put.json()["country"] == "US"
        again = await client.put(f"{ME}/addresses/home", json={**home, "line2": "Suite 5"})
        assert again.status_code == 200
        addresses = (await client.get(ME)).json()["addresses"]
        assert [(a["label"], a["line2"]) for a in addresses] == [("home", "Suite 5")]
        assert (await client.delete(f"{ME}/addresses/home")).status_code == 204
        assert (await client.get(ME)).json()["addresses"] == []
        assert_problem(await client.delete(f"{ME}/addresses/home"), 404, "home")


@pytest.mark.each_database
@pytest.mark.parametrize("field", ["line1", "line2", "city"])
async def test_an_address_line_holding_a_nul_character_is_refused_naming_it(
    app: FastAPI, field: str
) -> None:
    home = {
        "line1": "1 Market St",
        "city": "San Francisco",
        "postal_code": "94105",
        "country": "US",
    }
    async with client_as(app, shopper()) as client:
        assert (await client.put(f"{ME}/addresses/home", json=home)).status_code == 200
        before = (await client.get(ME)).json()["addresses"]
        bad = {**home, field: "1 Market\u0000St"}  # PostgreSQL's text types cannot hold U+0000
        for label in ("home", "work"):  # a replaced address, and a new one
            assert_problem(await client.put(f"{ME}/addresses/{label}", json=bad), 422, field)
        assert (await client.get(ME)).json()["addresses"] == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("put", f"{ME}/addresses/home", {"line1": "x", "city": "y", "postal_code": "1"}, 422,
         "country"),
        ("put", f"{ME}/addresses/home", {"line1": "x", "city": "y", "postal_code": "!!",
                                          "country": "US"}, 422, "postal_code"),
        ("put", f"{ME}/addresses/Not%20A%20Label", {"line1": "x", "city": "y",
                                                    "postal_code": "12", "country": "US"}, 422,
         "label"),
        ("put", f"{ME}/addresses/home", {"line1": "x", "city": "y", "postal_code": "12",
                                          "country": "U1"}, 422, "country"),
        ("get", "/customer/1/customers?limit=0", None, 422, "limit"),
    ],
)  # fmt: skip
async def test_bad_input_gets_a_problem_naming_the_field(
    app: FastAPI, method: str, path: str, body: object, status: int, fragment: str
) -> None:
    async with client_as(app, shopper()) as client:
        assert_problem(await client.request(method, path, json=body), status, fragment)


async def test_marketing_reads_customers_and_gets_403_on_every_write(
    app: FastAPI, producers: Producers
) -> None:
    sam = shopper()
    await producers.registered(sam)
    async with client_as(app, JENN) as jenn:

        async def listed() -> dict[str, Any] | None:
            page: dict[str, Any] = (await jenn.get("/customer/1/customers")).json()
            return page if page["total"] >= 1 else None

        page = await eventually(listed)
        assert sam.subject in [c["subject"] for c in page["items"]]
        read = await jenn.get(f"/customer/1/customers/{sam.subject}")
        assert (read.status_code, read.json()["email"]) == (200, "sam@bazaar.test")
        address = {"line1": "x", "city": "y", "postal_code": "12", "country": "US"}
        assert_problem(await jenn.put(f"{ME}/addresses/home", json=address), 403, "marketing")
        assert_problem(await jenn.delete(f"{ME}/addresses/home"), 403, "marketing")


async def test_a_customer_cannot_read_another_customer(app: FastAPI, producers: Producers) -> None:
    sam, sasha = shopper("sam"), shopper("sasha")
    await producers.registered(sam)
    async with client_as(app, sasha) as client:
        other = await client.get(f"/customer/1/customers/{sam.subject}")
        assert_problem(other, 403, "your own")
        assert_problem(await client.get("/customer/1/customers"), 403, "admin and marketing")


async def test_a_request_that_bypasses_the_gateway_is_refused(
    service_settings: ServiceSettings,
) -> None:
    async with running_app(build_app(service_settings), caller=None) as client:
        assert_problem(await client.get(ME), 401, "gateway")


@pytest.mark.each_database
async def test_two_facts_of_a_new_order_applied_concurrently_merge_into_one_entry(
    app: FastAPI,
) -> None:
    sam = shopper()
    runtime = app.state.runtime
    placed_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    async def apply(kind: str, order_id: str, sequence: int, when: datetime) -> None:
        async with runtime.units() as work:
            await use_cases.record_order_fact(
                store=work.store,
                kind=kind,
                order_id=order_id,
                subject=sam.subject,
                total_amount=990,
                total_currency="USD",
                when=when,
                sequence=sequence,
            )

    orders = [f"o-{n}" for n in range(8)]
    await asyncio.gather(
        *(apply("placed", o, 1, placed_at) for o in orders),
        *(apply("confirmed", o, 3, placed_at + timedelta(minutes=5)) for o in orders),
    )
    async with client_as(app, sam) as client:
        history = (await client.get(ME)).json()["orders"]
    assert sorted(o["order_id"] for o in history) == orders
    assert {o["status"] for o in history} == {"confirmed"}
    assert {o["placed_at"][:19] for o in history} == {"2026-03-01T09:00:00"}
