"""Products and the rules of their life cycle. No I/O here.

draft ──► active ◄──► discontinued
  │         │              │
  └─────────┴──► recalled ◄┘      (recalled is final: a recalled SKU is never sold again)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bazaar_chassis import Conflict, InvalidInput, NotFound, StaleVersion, check_sku


class ProductStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DISCONTINUED = "discontinued"
    RECALLED = "recalled"


ALLOWED_TRANSITIONS: dict[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.DRAFT: frozenset({ProductStatus.ACTIVE, ProductStatus.RECALLED}),
    ProductStatus.ACTIVE: frozenset({ProductStatus.DISCONTINUED, ProductStatus.RECALLED}),
    ProductStatus.DISCONTINUED: frozenset({ProductStatus.ACTIVE, ProductStatus.RECALLED}),
    ProductStatus.RECALLED: frozenset(),
}


class ProductNotFound(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product with SKU {sku!r}")


class DuplicateSku(Conflict):
    def __init__(self, sku: str) -> None:
        super().__init__(f"a product with SKU {sku!r} already exists")


class InvalidTransition(Conflict):
    def __init__(self, current: ProductStatus, wanted: ProductStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none (it is final)"
        super().__init__(
            f"a {current} product cannot become {wanted}; allowed from {current}: {allowed}"
        )


class AlreadyRecalled(Conflict):
    def __init__(self, sku: str) -> None:
        super().__init__(f"product {sku!r} is already recalled")


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    sku: str
    name: str
    description: str
    attributes: dict[str, Any]
    status: ProductStatus
    version: int
    created_at: datetime
    updated_at: datetime


def new_product(
    *,
    id: str,
    sku: str,
    name: str,
    description: str,
    attributes: dict[str, Any],
    status: ProductStatus,
    now: datetime,
) -> Product:
    if status not in (ProductStatus.DRAFT, ProductStatus.ACTIVE):
        raise InvalidInput(f"a new product starts as draft or active, not {status}")
    return Product(
        id=id,
        sku=check_sku(sku),
        name=name,
        description=description,
        attributes=attributes,
        status=status,
        version=1,
        created_at=now,
        updated_at=now,
    )


def change_status(product: Product, wanted: ProductStatus) -> ProductStatus:
    if wanted != product.status and wanted not in ALLOWED_TRANSITIONS[product.status]:
        raise InvalidTransition(product.status, wanted)
    return wanted


def revise(
    product: Product,
    *,
    expected_version: int,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    attributes: dict[str, Any] | None = None,
    status: ProductStatus | None = None,
) -> Product:
    """Apply a partial change made by someone who last saw `expected_version`."""
    if expected_version != product.version:
        raise StaleVersion(
            resource=f"product {product.sku}", expected=expected_version, actual=product.version
        )
    return replace(
        product,
        name=product.name if name is None else name,
        description=product.description if description is None else description,
        attributes=product.attributes if attributes is None else attributes,
        status=product.status if status is None else change_status(product, status),
        version=product.version + 1,
        updated_at=now,
    )


def recall(product: Product, *, now: datetime) -> Product:
    """Take a product off sale for safety, from any status; recalling twice is a conflict."""
    if product.status == ProductStatus.RECALLED:
        raise AlreadyRecalled(product.sku)
    return replace(
        product, status=ProductStatus.RECALLED, version=product.version + 1, updated_at=now
    )
