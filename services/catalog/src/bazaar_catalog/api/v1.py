"""Catalog API v1: a category page in one call (M6), and single items with an optional
synchronous inventory read for callers that need the system of record's answer right now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from bazaar_catalog import inventory, use_cases
from bazaar_catalog.domain import CatalogItem, Category
from bazaar_chassis import Money, Offset, ReadsDep, RuntimeDep, Sku

router = APIRouter()


class ItemOut(BaseModel):
    sku: str
    name: str
    price: Money | None
    available: int
    in_stock: bool

    @classmethod
    def of(cls, item: CatalogItem) -> ItemOut:
        return cls.model_validate(item, from_attributes=True)


class ItemDetail(ItemOut):
    description: str
    categories: list[str]  # keys of the categories the product is placed in
    inventory_synced: bool


class CategoryOut(BaseModel):
    key: str
    name: str
    parent: str | None
    position: int

    @classmethod
    def of(cls, category: Category) -> CategoryOut:
        return cls.model_validate(category, from_attributes=True)


class CategoryList(BaseModel):
    items: list[CategoryOut]


class CategoryPage(BaseModel):
    category: CategoryOut
    total: int
    limit: int
    offset: int
    items: list[ItemOut]


@router.get("/categories")
async def list_categories(reads: ReadsDep) -> CategoryList:
    found = await use_cases.list_categories(reads=reads)
    return CategoryList(items=[CategoryOut.of(category) for category in found])


@router.get("/categories/{key}/products")
async def category_products(
    key: str,
    reads: ReadsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Offset = 0,
) -> CategoryPage:
    """Everything a category page shows, from one query on the catalog's own copy."""
    page = await use_cases.category_page(reads=reads, key=key, limit=limit, offset=offset)
    return CategoryPage(
        category=CategoryOut.of(page.category),
        total=page.total,
        limit=limit,
        offset=offset,
        items=[ItemOut.of(item) for item in page.items],
    )


@router.get("/products/{sku}")
async def product(
    sku: Sku,
    reads: ReadsDep,
    runtime: RuntimeDep,
    force_inventory_sync: Annotated[bool, Query(alias="forceInventorySync")] = False,
) -> ItemDetail:
    """One item; `forceInventorySync=true` asks inventory (the system of record) for stock."""
    stock = inventory.stock_lookup(runtime) if force_inventory_sync else None
    item = await use_cases.show_item(reads=reads, sku=sku, stock=stock)
    return ItemDetail(
        **ItemOut.of(item).model_dump(),
        description=item.description,
        categories=list(item.categories),
        inventory_synced=stock is not None,  # reached only when inventory answered
    )
