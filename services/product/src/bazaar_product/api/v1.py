"""Product API v1: create, read, list, revise (optimistic concurrency) and recall products.

Each route parses, calls one use case and answers; the rules live in `use_cases` and `domain`.
A product is answered as the `Product` entity itself: its fields are the API's, so there is no
second list of them to keep in step.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bazaar_chassis import Offset, ReadsDep, Sku, Text, UnitsDep, Version
from bazaar_product import use_cases
from bazaar_product.domain import Product, ProductStatus

router = APIRouter()

Attributes = dict[str, str | int | float | bool | None]


class ProductCreate(BaseModel):
    sku: Sku
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=5000)
    attributes: Attributes = Field(default_factory=dict)
    status: ProductStatus = ProductStatus.ACTIVE


class ProductPatch(BaseModel):
    version: Version
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=5000)
    attributes: Attributes | None = None
    status: ProductStatus | None = Field(
        default=None,
        json_schema_extra={"enum": ["draft", "active", "discontinued", None]},
        description="use the recall endpoint to recall; other moves are checked",
    )


class RecallRequest(BaseModel):
    reason: Text = Field(min_length=1, max_length=1000)


class ProductPage(BaseModel):
    total: int
    items: list[Product]


@router.post("/products", status_code=201)
async def create_product(body: ProductCreate, units: UnitsDep) -> Product:
    return await use_cases.create_product(
        units=units,
        sku=body.sku,
        name=body.name,
        description=body.description,
        attributes=dict(body.attributes),
        status=body.status,
    )


@router.get("/products")
async def list_products(
    reads: ReadsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ProductPage:
    total, products = await use_cases.list_products(reads=reads, limit=limit, offset=offset)
    return ProductPage(total=total, items=products)


@router.get("/products/{sku}")
async def get_product(sku: Sku, reads: ReadsDep) -> Product:
    return await use_cases.get_product(reads=reads, sku=sku)


@router.patch("/products/{sku}")
async def revise_product(sku: Sku, body: ProductPatch, units: UnitsDep) -> Product:
    return await use_cases.revise_product(
        units=units,
        sku=sku,
        expected_version=body.version,
        name=body.name,
        description=body.description,
        attributes=dict(body.attributes) if body.attributes is not None else None,
        status=body.status,
    )


@router.post("/products/{sku}/recall")
async def recall_product(sku: Sku, body: RecallRequest, units: UnitsDep) -> Product:
    return await use_cases.recall_product(units=units, sku=sku, reason=body.reason)
