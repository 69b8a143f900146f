"""Category use cases on an in-memory store: the tree, placements, races and what is announced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bazaar_category import use_cases
from bazaar_category.domain import (
    Category,
    CategoryNotFound,
    ConcurrentWrite,
    CycleInTree,
    Membership,
    NotAssigned,
)
from bazaar_chassis import InvalidSku, StaleVersion
from bazaar_chassis.testing import FakeUnits

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeCategoryStore:
    """The `Categories` protocol over dicts; `races` makes the next N writes lose a race."""

    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}
        self.races = 0

    def _race(self, what: str) -> None:
        if self.races:
            self.races -= 1
            raise ConcurrentWrite(what)

    async def get_category(self, key: str) -> Category | None:
        return self.categories.get(key)

    async def category_exists(self, key: str) -> bool:
        return key in self.categories

    async def all_categories(self) -> list[Category]:
        return sorted(self.categories.values(), key=lambda c: (c.parent is not None, c.key))

    async def children_of(self, key: str) -> list[str]:
        return sorted(c.key for c in self.categories.values() if c.parent == key)

    async def products_in(self, key: str) -> list[Membership]:
        found = [m for (k, _), m in self.memberships.items() if k == key and m.assigned]
        return sorted(found, key=lambda m: (m.position, m.sku))

    async def lock_tree(self) -> None:
        return None

    async def parent_chain(self, start: str) -> dict[str, str | None]:
        chain: dict[str, str | None] = {}
        node: str | None = start
        while node is not None and node in self.categories and node not in chain:
            chain[node] = self.categories[node].parent
            node = chain[node]
        return chain

    async def insert_category(self, category: Category) -> None:
        self._race(category.key)
        self.categories[category.key] = category

    async def replace_category(self, category: Category) -> None:
        self._race(category.key)
        self.categories[category.key] = category

    async def get_membership(self, *, category: str, sku: str) -> Membership | None:
        return self.memberships.get((category, sku))

    async def save_membership(self, membership: Membership) -> None:
        self._race(membership.sku)
        self.memberships[membership.category, membership.sku] = membership


async def put(
    units: FakeUnits[FakeCategoryStore],
    key: str,
    *,
    parent: str | None = None,
    name: str = "Coffee",
    version: int | None = None,
) -> tuple[Category, bool]:
    return await use_cases.put_category(
        units=units,
        key=key,
        name=name,
        parent=parent,
        position=0,
        expected_version=version,
        clock=lambda: NOW,
    )


async def test_a_new_category_is_created_once_and_an_identical_put_changes_nothing() -> None:
    units = FakeUnits(FakeCategoryStore())
    category, created = await put(units, "coffee")
    again, created_again = await put(units, "coffee")
    assert (created, created_again) == (True, False)
    assert again == category
    assert [(e.type, e.sequence) for e in units.published] == [("category.created.v1", 1)]


async def test_a_renaming_bumps_the_version_and_is_announced_as_an_update() -> None:
    units = FakeUnits(FakeCategoryStore())
    await put(units, "coffee")
    renamed, created = await put(units, "coffee", name="Kaffee", version=1)
    assert (renamed.version, created) == (2, False)
    assert units.published[-1].type == "category.updated.v1"
    with pytest.raises(StaleVersion):
        await put(units, "coffee", name="Café", version=1)


async def test_a_category_can_never_become_its_own_ancestor() -> None:
    units = FakeUnits(FakeCategoryStore())
    await put(units, "food")
    await put(units, "coffee", parent="food")
    with pytest.raises(CycleInTree):
        await put(units, "food", parent="coffee")
    assert units.store.categories["food"].parent is None


async def test_a_lost_race_is_retried_on_top_of_the_winner() -> None:
    units = FakeUnits(FakeCategoryStore())
    units.store.races = 2
    category, created = await put(units, "coffee")
    assert (category.version, created) == (1, True)
    units.store.races = 3  # one more than use_cases.ATTEMPTS allows
    with pytest.raises(ConcurrentWrite):
        await put(units, "coffee", name="Kaffee")


async def test_placing_moving_and_removing_a_product_is_announced_each_time() -> None:
    units = FakeUnits(FakeCategoryStore())
    await put(units, "coffee")
    _first, placed = await use_cases.assign_product(units=units, key="coffee", sku="A", position=2)
    moved, placed_again = await use_cases.assign_product(
        units=units, key="coffee", sku="A", position=1
    )
    await use_cases.unassign_product(units=units, key="coffee", sku="A")
    assert (placed, placed_again, moved.version) == (True, False, 2)
    assert [e.type for e in units.published[1:]] == [
        "category.product_assigned.v1",
        "category.product_assigned.v1",
        "category.product_unassigned.v1",
    ]
    assert units.published[-1].subject == "coffee/A"
    with pytest.raises(NotAssigned):
        await use_cases.unassign_product(units=units, key="coffee", sku="A")


async def test_placing_in_an_unknown_category_or_with_a_bad_sku_is_refused() -> None:
    units = FakeUnits(FakeCategoryStore())
    with pytest.raises(CategoryNotFound):
        await use_cases.assign_product(units=units, key="nope", sku="A", position=0)
    with pytest.raises(InvalidSku):
        await use_cases.assign_product(units=units, key="nope", sku="bad sku", position=0)
    assert units.published == []


async def test_the_detail_lists_children_and_products_in_display_order() -> None:
    units = FakeUnits(FakeCategoryStore())
    await put(units, "food")
    await put(units, "coffee", parent="food")
    for sku, position in [("B", 1), ("A", 1), ("C", 0)]:
        await use_cases.assign_product(units=units, key="food", sku=sku, position=position)
    detail = await use_cases.category_detail(reads=units.reads, key="food")
    assert detail.children == ["coffee"]
    assert [m.sku for m in detail.products] == ["C", "A", "B"]
    with pytest.raises(CategoryNotFound):
        await use_cases.category_detail(reads=units.reads, key="tea")
