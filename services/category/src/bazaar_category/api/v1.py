"""Category API v1: the category tree (PUT/GET categories) and product placement in it.

Thin on purpose: each route parses the request, calls one use case (`use_cases`) and answers.
A write that changes nothing answers 200 without a new event. A category is answered as the
`Category` entity itself (its fields are the API's); other answers have their own models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from bazaar_category import use_cases
from bazaar_category.domain import MAX_NAME_LENGTH, MAX_POSITION, Category, Membership
from bazaar_chassis import MAX_INTEGER, ReadsDep, Sku, Text, UnitsDep

router = APIRouter()


class CategoryPut(BaseModel):
    name: Text = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["Coffee"])
    parent: str | None = Field(
        default=None, description="key of the parent category; null (or absent) for a root"
    )
    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="order among siblings")
    version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INTEGER,
        description="the version you last read; a stale one gets 409",
    )


class Placement(BaseModel):
    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="order in the category")


class ProductPlacement(BaseModel):
    sku: str
    position: int


@dataclass(frozen=True, slots=True)
class CategoryDetail(Category):
    """A category with its children's keys and its products in display order."""

    children: list[str]
    products: list[ProductPlacement]


class CategoryList(BaseModel):
    items: list[Category]


class MembershipOut(BaseModel):
    category: str
    sku: str
    position: int
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MembershipOut:
        return cls.model_validate(membership, from_attributes=True)


_CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "created"}}


@router.put("/categories/{key}", responses=_CREATED)
async def put_category(
    key: str, body: CategoryPut, units: UnitsDep, response: Response
) -> Category:
    """Create the category (201) or replace its name, parent and position (200)."""
    category, created = await use_cases.put_category(
        units=units,
        key=key,
        name=body.name,
        parent=body.parent,
        position=body.position,
        expected_version=body.version,
    )
    if created:
        response.status_code = 201
    return category


@router.get("/categories")
async def list_categories(reads: ReadsDep) -> CategoryList:
    """Every category, roots first, then grouped by parent in sibling order."""
    found = await use_cases.list_categories(reads=reads)
    return CategoryList(items=found)


@router.get("/categories/{key}")
async def get_category(key: str, reads: ReadsDep) -> CategoryDetail:
    """One category with its children's keys and its products in display order."""
    detail = await use_cases.category_detail(reads=reads, key=key)
    return CategoryDetail(
        **asdict(detail.category),
        children=detail.children,
        products=[
            ProductPlacement.model_validate(m, from_attributes=True) for m in detail.products
        ],
    )


@router.put("/categories/{key}/products/{sku}", responses=_CREATED)
async def assign_product(
    key: str,
    sku: Sku,
    units: UnitsDep,
    response: Response,
    body: Placement | None = None,
) -> MembershipOut:
    """Place a SKU in the category (201) or move it to another position (200).

    Any syntactically valid SKU is accepted: products are owned by the product service, and
    category must keep working when it is down (M3).
    """
    position = (body or Placement()).position
    membership, placed = await use_cases.assign_product(
        units=units, key=key, sku=sku, position=position
    )
    if placed:
        response.status_code = 201
    return MembershipOut.of(membership)


@router.delete("/categories/{key}/products/{sku}", status_code=204)
async def unassign_product(key: str, sku: Sku, units: UnitsDep) -> Response:
    """Take a SKU out of the category; 404 when it is not in it."""
    await use_cases.unassign_product(units=units, key=key, sku=sku)
    return Response(status_code=204)
