"""The category API against a real database and a real NATS server.

Every test runs on SQLite and again on a throwaway PostgreSQL database, because the SQL must be
right on both.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from importlib.metadata import version

import httpx
import pytest

from bazaar_category.service import build_app
from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import EventProbe, assert_problem, running_app

BASE = "/category/1/categories"


@pytest.fixture
async def client(
    service_settings: ServiceSettings, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on SQLite, then again on PostgreSQL (the plugin's `database_url`)."""
    settings = service_settings.model_copy(update={"database_url": database_url})
    async with running_app(build_app(settings)) as client:
        yield client


async def put_category(
    client: httpx.AsyncClient, key: str, name: str | None = None, **fields: object
) -> httpx.Response:
    return await client.put(f"{BASE}/{key}", json={"name": name or key.title(), **fields})


async def place(client: httpx.AsyncClient, key: str, sku: str, position: int = 0) -> httpx.Response:
    return await client.put(f"{BASE}/{key}/products/{sku}", json={"position": position})


async def test_a_created_category_is_readable_and_announced_and_an_update_bumps_its_sequence(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    created = await put_category(client, "coffee", "Coffee", position=2)
    assert created.status_code == 201
    body = created.json()
    assert (body["key"], body["name"], body["parent"], body["position"]) == (
        "coffee",
        "Coffee",
        None,
        2,
    )
    assert body["version"] == 1
    assert body["created_at"] == body["updated_at"]
    uuid.UUID(body["id"])
    read = await client.get(f"{BASE}/coffee")
    assert read.status_code == 200
    assert read.json() == {**body, "children": [], "products": []}
    event = await event_probe.expect("category.created", subject="coffee")
    assert event.source == f"/category/{version('bazaar-category')}"
    assert event.type == "category.created.v1"
    assert event.sequence == 1
    assert event.data == {"key": "coffee", "name": "Coffee", "parent": None, "position": 2}

    updated = await put_category(client, "coffee", "Kaffee", position=2, version=1)
    assert updated.status_code == 200
    assert (updated.json()["version"], updated.json()["id"]) == (2, body["id"])
    event = await event_probe.expect("category.updated", subject="coffee")
    assert event.sequence == 2
    assert event.data == {"key": "coffee", "name": "Kaffee", "parent": None, "position": 2}


async def test_repeating_the_same_put_changes_nothing_and_publishes_nothing(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    await put_category(client, "tea", "Tea")
    again = await put_category(client, "tea", "Tea")
    assert again.status_code == 200
    assert again.json()["version"] == 1
    await put_category(client, "tea", "Green tea")
    await event_probe.expect("category.updated", subject="tea", where=lambda e: e.sequence == 2)
    assert [e.sequence for e in event_probe.matching("category.updated", subject="tea")] == [2]


async def test_a_tree_lists_roots_first_and_each_category_knows_its_children(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    await put_category(client, "tea", position=0)
    await put_category(client, "coffee", position=1)
    await put_category(client, "espresso", parent="coffee", position=2)
    await put_category(client, "filter", parent="coffee", position=1)
    await put_category(client, "ristretto", parent="espresso")

    listed = (await client.get(BASE)).json()["items"]
    assert [(c["key"], c["parent"]) for c in listed] == [
        ("tea", None),
        ("coffee", None),
        ("filter", "coffee"),
        ("espresso", "coffee"),
        ("ristretto", "espresso"),
    ]
    assert (await client.get(f"{BASE}/coffee")).json()["children"] == ["filter", "espresso"]
    event = await event_probe.expect("category.created", subject="ristretto")
    assert event.data["parent"] == "espresso"

    moved = await put_category(client, "espresso", parent="tea", version=1)
    assert (moved.status_code, moved.json()["parent"]) == (200, "tea")
    assert (await client.get(f"{BASE}/coffee")).json()["children"] == ["filter"]
    assert (await client.get(f"{BASE}/tea")).json()["children"] == ["espresso"]
    event = await event_probe.expect("category.updated", subject="espresso")
    assert (event.sequence, event.data["parent"]) == (2, "tea")

    rooted = await put_category(client, "espresso")
    assert rooted.json()["parent"] is None


async def test_assign_move_unassign_and_reassign_publish_facts_with_growing_sequences(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    await put_category(client, "coffee")
    assigned = await place(client, "coffee", "COF-1", position=5)
    assert assigned.status_code == 201
    assert assigned.json()["version"] == 1
    moved = await place(client, "coffee", "COF-1", position=2)
    assert (moved.status_code, moved.json()["version"]) == (200, 2)
    unchanged = await place(client, "coffee", "COF-1", position=2)
    assert (unchanged.status_code, unchanged.json()["version"]) == (200, 2)
    removed = await client.delete(f"{BASE}/coffee/products/COF-1")
    assert removed.status_code == 204
    assert (await client.get(f"{BASE}/coffee")).json()["products"] == []
    again = await place(client, "coffee", "COF-1", position=9)
    assert (again.status_code, again.json()["version"]) == (201, 4)

    await event_probe.expect(
        "category.product_assigned", subject="coffee/COF-1", where=lambda e: e.sequence == 4
    )
    facts = [
        (e.type, e.sequence, e.data) for e in event_probe.events if e.subject == "coffee/COF-1"
    ]
    assert facts == [
        ("category.product_assigned.v1", 1, {"category": "coffee", "sku": "COF-1", "position": 5}),
        ("category.product_assigned.v1", 2, {"category": "coffee", "sku": "COF-1", "position": 2}),
        ("category.product_unassigned.v1", 3, {"category": "coffee", "sku": "COF-1"}),
        ("category.product_assigned.v1", 4, {"category": "coffee", "sku": "COF-1", "position": 9}),
    ]


async def test_the_same_sku_in_two_categories_has_two_independent_memberships(
    client: httpx.AsyncClient, event_probe: EventProbe
) -> None:
    await put_category(client, "coffee")
    await put_category(client, "gifts")
    await place(client, "coffee", "COF-1")
    await place(client, "coffee", "COF-1", position=1)
    second = await place(client, "gifts", "COF-1")
    assert (second.status_code, second.json()["version"]) == (201, 1)
    event = await event_probe.expect("category.product_assigned", subject="gifts/COF-1")
    assert event.sequence == 1


async def test_products_are_listed_by_position_then_sku_and_only_while_assigned(
    client: httpx.AsyncClient,
) -> None:
    await put_category(client, "coffee")
    for sku, position in [("C-3", 1), ("B-2", 0), ("A-1", 1), ("D-4", 0), ("GONE", 0)]:
        assert (await place(client, "coffee", sku, position)).status_code == 201
    await client.delete(f"{BASE}/coffee/products/GONE")
    await place(client, "coffee", "D-4", position=7)
    products = (await client.get(f"{BASE}/coffee")).json()["products"]
    assert products == [
        {"sku": "B-2", "position": 0},
        {"sku": "A-1", "position": 1},
        {"sku": "C-3", "position": 1},
        {"sku": "D-4", "position": 7},
    ]


async def test_a_placement_without_a_body_goes_to_position_zero(client: httpx.AsyncClient) -> None:
    await put_category(client, "coffee")
    reply = await client.put(f"{BASE}/coffee/products/COF-1")
    assert (reply.status_code, reply.json()["position"]) == (201, 0)


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """coffee (at version 2) ─ espresso ─ ristretto, and COF-1 placed in coffee."""
    await put_category(client, "coffee")
    await put_category(client, "coffee", "Coffee beans")
    await put_category(client, "espresso", parent="coffee")
    await put_category(client, "ristretto", parent="espresso")
    await place(client, "coffee", "COF-1")
    return client


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail_fragment"),
    [
        ("put", f"{BASE}/Bad_Key", {"name": "x"}, 422, "category key 'Bad_Key' is invalid"),
        ("put", f"{BASE}/tea", {"name": "x", "parent": "nope"}, 422, "parent 'nope' does not"),
        ("put", f"{BASE}/tea", {"name": "x", "parent": "No Key"}, 422, "parent 'No Key' is"),
        ("put", f"{BASE}/coffee", {"name": "x", "parent": "ristretto"}, 409, "own ancestor"),
        ("put", f"{BASE}/coffee", {"name": "x", "parent": "coffee"}, 409, "own ancestor"),
        ("put", f"{BASE}/tea", {"name": ""}, 422, "name"),
        ("put", f"{BASE}/tea", {"name": "   "}, 422, "not be blank"),
        ("put", f"{BASE}/tea", {}, 422, "name"),
        ("put", f"{BASE}/tea", {"name": "x", "position": -1}, 422, "position"),
        ("put", f"{BASE}/tea", {"name": "x", "position": 10**12}, 422, "position"),
        ("put", f"{BASE}/coffee", {"name": "x", "version": 1}, 409, "at version 2"),
        ("put", f"{BASE}/tea", {"name": "x", "version": 1}, 409, "at version 0"),
        ("put", f"{BASE}/coffee", {"name": "x", "version": 0}, 422, "version"),
        ("put", f"{BASE}/coffee/products/COF-1", {"position": -1}, 422, "position"),
        ("put", f"{BASE}/coffee/products/bad%20sku", {}, 422, "SKU 'bad sku' is invalid"),
        ("put", f"{BASE}/nope/products/COF-1", {}, 404, "no category with key 'nope'"),
        ("delete", f"{BASE}/coffee/products/COF-2", None, 404, "'COF-2' is not assigned"),
        ("delete", f"{BASE}/nope/products/COF-1", None, 404, "no category with key 'nope'"),
        ("get", f"{BASE}/nope", None, 404, "no category with key 'nope'"),
        ("put", f"{BASE}/coffee", b'{"name": ', 400, "not valid JSON"),
        ("put", f"{BASE}/coffee/products/COF-1", b'{"position": ', 400, "not valid JSON"),
        ("get", "/category/2/categories", None, 404, "No route"),
    ],
)
async def test_bad_input_gets_a_problem_whose_detail_names_it(
    tree: httpx.AsyncClient,
    method: str,
    path: str,
    body: object,
    status: int,
    detail_fragment: str,
) -> None:
    if isinstance(body, bytes):
        headers = {"content-type": "application/json"}
        reply = await tree.request(method, path, content=body, headers=headers)
    else:
        reply = await tree.request(method, path, json=body)
    assert_problem(reply, status, detail_fragment)


async def test_a_refused_write_changes_nothing_and_publishes_nothing(
    event_probe: EventProbe, tree: httpx.AsyncClient
) -> None:
    cycle = await put_category(tree, "coffee", parent="ristretto")
    assert cycle.status_code == 409
    coffee = (await tree.get(f"{BASE}/coffee")).json()
    assert (coffee["parent"], coffee["version"]) == (None, 2)
    await put_category(tree, "coffee", "Coffee", version=2)
    await event_probe.expect("category.updated", subject="coffee", where=lambda e: e.sequence == 3)
    assert [e.sequence for e in event_probe.matching("category.updated", subject="coffee")] == [
        2,
        3,
    ]


async def test_a_key_with_a_trailing_newline_is_refused_and_no_category_is_made(
    tree: httpx.AsyncClient,
) -> None:
    before = (await tree.get(BASE)).json()
    for key in ("a" * 64 + "%0A", "tea%0A"):  # past categories.key's 64 characters, and within
        assert_problem(await put_category(tree, key, "Tea"), 422, "category key")
    assert (await tree.get(BASE)).json() == before


async def test_a_name_holding_a_nul_character_is_refused_naming_it_and_nothing_changes(
    tree: httpx.AsyncClient,
) -> None:
    before = (await tree.get(BASE)).json()  # PostgreSQL's text types cannot hold U+0000
    for key in ("tea", "coffee"):  # a new category, and an existing one
        assert_problem(await put_category(tree, key, "Te\u0000a"), 422, "name")
    assert (await tree.get(BASE)).json() == before


async def test_two_concurrent_moves_can_never_close_a_loop(client: httpx.AsyncClient) -> None:
    await put_category(client, "a")
    await put_category(client, "b")
    replies = await asyncio.gather(
        put_category(client, "a", parent="b"), put_category(client, "b", parent="a")
    )
    assert sorted(r.status_code for r in replies) == [200, 409]
    parents = [(await client.get(f"{BASE}/{key}")).json()["parent"] for key in ("a", "b")]
    assert parents.count(None) == 1


async def test_concurrent_identical_puts_create_once_and_find_nothing_left_to_change(
    event_probe: EventProbe, client: httpx.AsyncClient
) -> None:
    created = await asyncio.gather(*(put_category(client, "coffee") for _ in range(3)))
    assert sorted(r.status_code for r in created) == [200, 200, 201]
    placed = await asyncio.gather(*(place(client, "coffee", "COF-1", 4) for _ in range(3)))
    assert sorted(r.status_code for r in placed) == [200, 200, 201]
    assert {r.json()["version"] for r in placed} == {1}
    await put_category(client, "coffee", "Last")
    await event_probe.expect("category.updated", subject="coffee")
    await event_probe.expect("category.product_assigned", subject="coffee/COF-1")
    assert len(event_probe.matching("category.created", subject="coffee")) == 1
    assert len(event_probe.matching("category.product_assigned", subject="coffee/COF-1")) == 1
