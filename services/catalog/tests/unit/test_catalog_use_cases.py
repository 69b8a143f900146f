"""Catalog queries on an in-memory read model: pages, listed items and the inventory read."""

from __future__ import annotations

import pytest

from bazaar_catalog import use_cases
from bazaar_catalog.domain import CatalogItem, Category, CategoryNotFound, ItemNotListed
from bazaar_chassis import Money, Unavailable
from bazaar_chassis.testing import FakeUnits

COFFEE = Category(key="coffee", name="Coffee", parent=None, position=0)


def an_item(sku: str, available: int = 3) -> CatalogItem:
    return CatalogItem(
        sku=sku, name=sku, description="", price=Money(100, "USD"), available=available
    )


class FakeCatalogStore:
    """The `Catalog` protocol over lists: categories, items with status, placements in order."""

    def __init__(self) -> None:
        self.categories = [COFFEE]
        self.items: dict[str, tuple[CatalogItem, str]] = {}
        self.placed: dict[str, list[str]] = {"coffee": []}

    async def all_categories(self) -> list[Category]:
        return self.categories

    async def category_page(
        self, key: str, *, limit: int, offset: int
    ) -> tuple[Category | None, int, list[CatalogItem]]:
        found = next((c for c in self.categories if c.key == key), None)
        placed = [self.items[sku] for sku in self.placed.get(key, [])]
        listed = [item for item, status in placed if status == "active"]
        return found, len(listed), listed[offset : offset + limit]

    async def item(self, sku: str) -> tuple[CatalogItem | None, str | None]:
        item, status = self.items.get(sku, (None, None))
        return item, status


def a_catalog() -> FakeUnits[FakeCatalogStore]:
    units = FakeUnits(FakeCatalogStore())
    for sku, status in [("A", "active"), ("B", "recalled"), ("C", "active")]:
        units.store.items[sku] = (an_item(sku), status)
        units.store.placed["coffee"].append(sku)
    return units


async def test_a_page_counts_and_shows_only_listed_items() -> None:
    units = a_catalog()
    page = await use_cases.category_page(reads=units.reads, key="coffee", limit=1, offset=1)
    assert (page.category, page.total, [i.sku for i in page.items]) == (COFFEE, 2, ["C"])


async def test_an_unknown_category_is_not_found() -> None:
    with pytest.raises(CategoryNotFound, match="tea"):
        await use_cases.category_page(reads=a_catalog().reads, key="tea", limit=10, offset=0)


async def test_an_item_that_is_not_listed_is_not_found_with_the_reason() -> None:
    units = a_catalog()
    with pytest.raises(ItemNotListed, match="it is recalled"):
        await use_cases.show_item(reads=units.reads, sku="B")
    with pytest.raises(ItemNotListed, match="unknown SKU"):
        await use_cases.show_item(reads=units.reads, sku="Z")


async def test_without_a_stock_lookup_the_copy_answers() -> None:
    item = await use_cases.show_item(reads=a_catalog().reads, sku="A")
    assert (item.available, item.in_stock) == (3, True)


async def test_a_stock_lookup_replaces_the_copys_availability_with_inventorys() -> None:
    asked: list[str] = []

    async def inventory_says_zero(sku: str) -> int:
        asked.append(sku)
        return 0

    item = await use_cases.show_item(reads=a_catalog().reads, sku="A", stock=inventory_says_zero)
    assert (item.available, item.in_stock, asked) == (0, False, ["A"])


async def test_an_unreachable_inventory_is_unavailable_not_the_copy() -> None:
    async def inventory_down(sku: str) -> int:
        raise Unavailable("inventory answered 503")

    with pytest.raises(Unavailable):
        await use_cases.show_item(reads=a_catalog().reads, sku="A", stock=inventory_down)
