"""Catalog API v1: a category page in one call (M6), and single items with an optional
synchronous inventory read for callers that need the system of record's answer right now.

The two hot reads (the category list and page) answer with JSON serialized once by orjson
from the read model's dataclasses, and their whole answers are kept and sent again until the
next event is applied (`KEPT` in service.py); the models below still document them
(`response_model`) and a test checks the answer against them (docs/architecture.md, "Hot reads").
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from bazaar_catalog import inventory, use_cases
from bazaar_catalog.domain import CatalogItem
from bazaar_chassis import Offset, ReadsDep, RuntimeDep, Sku
from bazaar_shelf.card import ItemOut

router = APIRouter()


class ItemDetail(ItemOut):
    description: str
    categories: list[str]  # keys of the categories the product is placed in
    inventory_synced: bool


class CategoryOut(BaseModel):
    key: str
    name: str
    parent: str | None
    position: int


class CategoryList(BaseModel):
    items: list[CategoryOut]


class CategoryPage(BaseModel):
    category: CategoryOut
    total: int
    limit: int
    offset: int
    items: list[ItemOut]


class JsonBody(Response):
    """An answer serialized once, by orjson (no model built, validated and dumped again by
    FastAPI), and sent as these bytes."""

    media_type = "application/json"


def _item(item: CatalogItem) -> dict[str, object]:
    """`ItemOut`'s fields, in its order (orjson writes `Money`, a dataclass, as an object)."""
    return {
        "sku": item.sku,
        "name": item.name,
        "price": item.price,
        "available": item.available,
        "in_stock": item.in_stock,
    }


@router.get("/categories", response_model=CategoryList)
async def list_categories(reads: ReadsDep) -> Response:
    found = await use_cases.list_categories(reads=reads)
    return JsonBody(orjson.dumps({"items": found}))  # `Category` has `CategoryOut`'s fields


@router.get("/categories/{key}/products", response_model=CategoryPage)
async def category_products(
    key: str,
    reads: ReadsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Offset = 0,
) -> Response:
    """Everything a category page shows, from one query on the catalog's own copy."""
    page = await use_cases.category_page(reads=reads, key=key, limit=limit, offset=offset)
    return JsonBody(
        orjson.dumps(
            {
                "category": page.category,
                "total": page.total,
                "limit": limit,
                "offset": offset,
                "items": [_item(item) for item in page.items],
            }
        )
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
