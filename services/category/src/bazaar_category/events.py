"""The events the category service publishes: its contract with every consumer (catalog first).

Category events carry the category's whole state, with `sequence` = the category's version.
Membership events are about one (category, SKU) pair: their CloudEvent subject is
`<category>/<sku>` and `sequence` is the membership's version, which keeps growing across
unassign and re-assign, so a consumer keeps the fact with the highest sequence per pair.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bazaar_category.domain import Category, Membership

CATEGORY_CREATED = "category.created.v1"
CATEGORY_UPDATED = "category.updated.v1"
PRODUCT_ASSIGNED = "category.product_assigned.v1"
PRODUCT_UNASSIGNED = "category.product_unassigned.v1"


class CategoryState(BaseModel):
    """Payload of category.created.v1 and category.updated.v1."""

    key: str
    name: str
    parent: str | None
    position: int


class ProductAssigned(BaseModel):
    """Payload of category.product_assigned.v1: the SKU is (now) in the category at `position`."""

    category: str
    sku: str
    position: int


class ProductUnassigned(BaseModel):
    """Payload of category.product_unassigned.v1: the SKU is no longer in the category."""

    category: str
    sku: str


SCHEMAS: dict[str, type[BaseModel]] = {
    CATEGORY_CREATED: CategoryState,
    CATEGORY_UPDATED: CategoryState,
    PRODUCT_ASSIGNED: ProductAssigned,
    PRODUCT_UNASSIGNED: ProductUnassigned,
}


def membership_subject(membership: Membership) -> str:
    """The CloudEvent subject of a membership fact: unique per (category, SKU) pair."""
    return f"{membership.category}/{membership.sku}"


def category_state(category: Category) -> dict[str, Any]:
    return CategoryState.model_validate(category, from_attributes=True).model_dump()


def product_assigned(membership: Membership) -> dict[str, Any]:
    return ProductAssigned.model_validate(membership, from_attributes=True).model_dump()


def product_unassigned(membership: Membership) -> dict[str, Any]:
    return ProductUnassigned.model_validate(membership, from_attributes=True).model_dump()
