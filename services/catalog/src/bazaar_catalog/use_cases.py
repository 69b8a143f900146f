"""What the catalog answers, one keyword-only function per query (the API only parses).

Every answer comes from the catalog's own copy (`reads`), except an item asked for with a
synchronous inventory read: then `stock` asks inventory, the system of record, for the number.
The store is the `Catalog` protocol below, so unit tests run these on an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bazaar_catalog.domain import CatalogItem, Category, CategoryNotFound, ItemNotListed
from bazaar_chassis import Reads
from bazaar_shelf.card import is_listed

StockLookup = Callable[[str], Awaitable[int]]
"""How many units of a SKU inventory says are available right now."""


class Catalog(Protocol):
    """The read model as the queries need it (`store.CatalogStore` in production)."""

    async def all_categories(self) -> list[Category]: ...
    async def category_page(
        self, key: str, *, limit: int, offset: int
    ) -> tuple[Category | None, int, list[CatalogItem]]: ...
    async def item(self, sku: str) -> tuple[CatalogItem | None, str | None]: ...


@dataclass(frozen=True, slots=True)
class CategoryPage:
    category: Category
    total: int
    items: list[CatalogItem]


async def list_categories(*, reads: Reads[Catalog]) -> list[Category]:
    async with reads() as store:
        return await store.all_categories()


async def category_page(
    *, reads: Reads[Catalog], key: str, limit: int, offset: int
) -> CategoryPage:
    """Everything a category page shows, from one query on the catalog's own copy."""
    async with reads() as store:
        category, total, items = await store.category_page(key, limit=limit, offset=offset)
    if category is None:
        raise CategoryNotFound(key)
    return CategoryPage(category=category, total=total, items=items)


async def show_item(
    *, reads: Reads[Catalog], sku: str, stock: StockLookup | None = None
) -> CatalogItem:
    """One listed item; with `stock`, its availability is inventory's answer, not the copy's."""
    async with reads() as store:
        item, status = await store.item(sku)
    if item is None or not is_listed(status):
        raise ItemNotListed(sku, status)
    if stock is not None:
        item = replace(item, available=await stock(sku))
    return item
