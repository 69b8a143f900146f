"""The product API against a real database and a real NATS server; the store and race tests
run on SQLite and again on PostgreSQL, where writers really race."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from importlib.metadata import version

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, running_app
from bazaar_product.service import build_app

PRODUCTS = "/product/1/products"
WRITERS = 12  # concurrent writers in the race tests


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


def a_sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


async def create(client: httpx.AsyncClient, sku: str, **fields: object) -> httpx.Response:
    return await client.post(
        "/product/1/products", json={"sku": sku, "name": "Ethiopia Yirgacheffe", **fields}
    )


@pytest.mark.each_database
async def test_a_created_product_is_readable_and_announced(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    created = await create(client, sku, attributes={"roast": "light"})
    assert created.status_code == 201
    assert created.json()["status"] == "active"
    assert created.json()["version"] == 1
    read = await client.get(f"/product/1/products/{sku}")
    assert read.json()["attributes"] == {"roast": "light"}
    event = await event_probe.expect("product.created", subject=sku)
    assert event.sequence == 1
    assert event.data["name"] == "Ethiopia Yirgacheffe"
    assert event.source == f"/product/{version('bazaar-product')}"


@pytest.mark.each_database
async def test_a_duplicate_sku_is_a_conflict(client: httpx.AsyncClient) -> None:
    sku = a_sku()
    await create(client, sku)
    again = await create(client, sku)
    assert_problem(again, 409, sku)


@pytest.mark.each_database
async def test_a_stale_patch_is_refused_and_changes_nothing(client: httpx.AsyncClient) -> None:
    sku = a_sku()
    await create(client, sku)
    first = await client.patch(f"/product/1/products/{sku}", json={"version": 1, "name": "A"})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = await client.patch(f"/product/1/products/{sku}", json={"version": 1, "name": "B"})
    assert stale.status_code == 409
    assert "version 2" in stale.json()["detail"]
    assert (await client.get(f"/product/1/products/{sku}")).json()["name"] == "A"


async def test_a_recall_is_published_with_its_reason(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    sku = a_sku()
    await create(client, sku)
    recalled = await client.post(f"/product/1/products/{sku}/recall", json={"reason": "glass"})
    assert recalled.json()["status"] == "recalled"
    event = await event_probe.expect("product.recalled", subject=sku)
    assert (event.data["reason"], event.sequence) == ("glass", 2)
    twice = await client.post(f"/product/1/products/{sku}/recall", json={"reason": "again"})
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail_fragment"),
    [
        ("get", "/product/1/products/NOPE-404", None, 404, "NOPE-404"),
        ("post", "/product/1/products", {"sku": "bad sku", "name": "x"}, 422, "SKU"),
        ("post", "/product/1/products", {"sku": "OK-1"}, 422, "name"),
        (
            "post",
            "/product/1/products",
            {"sku": "OK-2", "name": "x", "status": "gone"},
            422,
            "status",
        ),
        ("patch", "/product/1/products/NOPE-404", {"version": 1}, 404, "NOPE-404"),
        ("patch", "/product/1/products/X", {"version": 0}, 422, "version"),
        ("post", "/product/1/products/X/recall", {}, 422, "reason"),
        ("get", "/product/1/products?limit=0", None, 422, "limit"),
        ("get", "/product/9/products", None, 404, "No route"),
    ],
)
async def test_bad_input_gets_a_problem_with_a_useful_detail(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    detail_fragment: str,
) -> None:
    reply = await client.request(method, path, json=body)
    assert_problem(reply, status, detail_fragment)


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    reply = await client.post(
        "/product/1/products", content=b'{"sku": ', headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert "not valid JSON" in reply.json()["detail"]


@pytest.mark.each_database
async def test_concurrent_creates_of_one_sku_make_one_product_and_conflicts_for_the_rest(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    replies = await asyncio.gather(
        *(client.post(PRODUCTS, json={"sku": sku, "name": f"Try {n}"}) for n in range(WRITERS))
    )
    assert Counter(r.status_code for r in replies) == {201: 1, 409: WRITERS - 1}
    created = next(r for r in replies if r.status_code == 201).json()
    assert (await client.get(f"{PRODUCTS}/{sku}")).json() == created


@pytest.mark.each_database
async def test_concurrent_patches_at_one_version_let_exactly_one_win(
    client: httpx.AsyncClient,
) -> None:
    sku = a_sku()
    created = await client.post(PRODUCTS, json={"sku": sku, "name": "Original"})
    at = created.json()["version"]
    names = [f"Name {n}" for n in range(WRITERS)]
    replies = await asyncio.gather(
        *(client.patch(f"{PRODUCTS}/{sku}", json={"version": at, "name": n}) for n in names)
    )
    won = [r.json() for r in replies if r.status_code == 200]
    assert len(won) == 1
    assert [r.status_code for r in replies].count(409) == WRITERS - 1
    assert (await client.get(f"{PRODUCTS}/{sku}")).json() == won[0]


@pytest.mark.each_database
@pytest.mark.parametrize("field", ["name", "description"])
async def test_text_with_a_nul_character_is_refused_naming_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, field: str
) -> None:
    sku = a_sku()  # PostgreSQL's text types cannot hold U+0000
    assert_problem(await create(client, sku, **{field: "Yirga\u0000cheffe"}), 422, field)
    assert_problem(await client.get(f"{PRODUCTS}/{sku}"), 404, sku)
    created = (await create(client, sku)).json()
    patch = {"version": 1, field: "Yirga\u0000cheffe"}
    assert_problem(await client.patch(f"{PRODUCTS}/{sku}", json=patch), 422, field)
    recall = {"reason": "mould\u0000"}
    assert_problem(await client.post(f"{PRODUCTS}/{sku}/recall", json=recall), 422, "reason")
    assert (await client.get(f"{PRODUCTS}/{sku}")).json() == created
