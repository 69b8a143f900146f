"""The events the product service publishes: its contract with every consumer.

Each carries the product's whole current state (event-carried state transfer), so a consumer
never has to call back, and `sequence` = the product's version so stale copies can be dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bazaar_product.domain import Product

PRODUCT_CREATED = "product.created.v1"
PRODUCT_UPDATED = "product.updated.v1"
PRODUCT_RECALLED = "product.recalled.v1"


class ProductState(BaseModel):
    """Payload of product.created.v1 and product.updated.v1."""

    sku: str
    name: str
    description: str
    attributes: dict[str, Any]
    status: str


class ProductRecalled(ProductState):
    """Payload of product.recalled.v1: the state after the recall, and why."""

    reason: str


SCHEMAS: dict[str, type[BaseModel]] = {
    PRODUCT_CREATED: ProductState,
    PRODUCT_UPDATED: ProductState,
    PRODUCT_RECALLED: ProductRecalled,
}


def product_state(product: Product) -> dict[str, Any]:
    return ProductState.model_validate(product, from_attributes=True).model_dump(mode="json")


def recalled(product: Product, reason: str) -> dict[str, Any]:
    return {**product_state(product), "reason": reason}
