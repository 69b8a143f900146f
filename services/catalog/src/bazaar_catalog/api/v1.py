"""Catalog API v1: a category page in one call (M6), and single items with an optional
synchronous inventory read for callers that need the system of record's answer right now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from bazaar_catalog import store
from bazaar_catalog.domain import (
    CatalogItem,
    Category,
    CategoryNotFound,
    ItemNotListed,
    is_listed,
)
from bazaar_chassis import RuntimeDep, Unavailable

router = APIRouter()


class MoneyOut(BaseModel):
    amount: int
    currency: str


class ItemOut(BaseModel):
    sku: str
    name: str
    price: MoneyOut | None
    available: int
    in_stock: bool

    @classmethod
    def of(cls, item: CatalogItem, *, available: int | None = None) -> ItemOut:
        stock = item.available if available is None else available
        return cls(
            sku=item.sku,
            name=item.name,
            price=MoneyOut(amount=item.price.amount, currency=item.price.currency)
            if item.price
            else None,
            available=stock,
            in_stock=stock > 0,
        )


class ItemDetail(ItemOut):
    description: str
    inventory_synced: bool


class CategoryOut(BaseModel):
    key: str
    name: str
    parent: str | None
    position: int

    @classmethod
    def of(cls, category: Category) -> CategoryOut:
        return cls(
            key=category.key,
            name=category.name,
            parent=category.parent,
            position=category.position,
        )


class CategoryList(BaseModel):
    items: list[CategoryOut]


class CategoryPage(BaseModel):
    category: CategoryOut
    total: int
    limit: int
    offset: int
    items: list[ItemOut]


@router.get("/categories")
async def list_categories(runtime: RuntimeDep) -> CategoryList:
    async with runtime.database.snapshot() as connection:
        rows = await store.all_categories(connection)
    return CategoryList(items=[CategoryOut.of(category) for category in rows])


@router.get("/categories/{key}/products")
async def category_products(
    key: str,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CategoryPage:
    """Everything a category page shows, from one query on the catalog's own copy."""
    async with runtime.database.snapshot() as connection:
        row, total, items = await store.category_page(connection, key, limit=limit, offset=offset)
    if row is None:
        raise CategoryNotFound(key)
    return CategoryPage(
        category=CategoryOut.of(row),
        total=total,
        limit=limit,
        offset=offset,
        items=[ItemOut.of(item) for item in items],
    )


@router.get("/products/{sku}")
async def product(
    sku: str,
    runtime: RuntimeDep,
    force_inventory_sync: Annotated[bool, Query(alias="forceInventorySync")] = False,
) -> ItemDetail:
    """One item; `forceInventorySync=true` asks inventory (the system of record) for stock."""
    async with runtime.database.snapshot() as connection:
        item, status = await store.item(connection, sku)
    if item is None or not is_listed(status):
        raise ItemNotListed(sku, status)
    available = None
    if force_inventory_sync:
        available = await _available_from_inventory(runtime, sku)
    detail = ItemOut.of(item, available=available)
    return ItemDetail(
        **detail.model_dump(),
        description=item.description,
        inventory_synced=available is not None,  # what inventory said, not what was asked
    )


async def _available_from_inventory(runtime: RuntimeDep, sku: str) -> int:
    advice = "retry, or omit forceInventorySync to get the catalog's copy"
    try:
        reply = await runtime.http.get(f"/inventory/1/stock/{sku}")
    except Unavailable as exc:
        raise Unavailable(f"inventory could not be asked about {sku} ({exc}); {advice}") from exc
    if reply.status == 404:
        return 0
    if reply.status != 200 or not isinstance(reply.body, dict):
        raise Unavailable(f"inventory answered {reply.status} for {sku}; {advice}")
    return int(reply.body["available"])
