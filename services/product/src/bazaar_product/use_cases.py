"""What the product service does, one keyword-only function per use case (the API only parses).

Each takes what it needs and nothing more: `units` (writes: store + events, in one transaction),
`reads` (a consistent snapshot) and a `clock`. The store is the `Products` protocol below, so the
unit tests run these functions on an in-memory fake (tests/unit/test_product_use_cases.py).
"""

from __future__ import annotations

from typing import Any, Protocol

from bazaar_chassis import Clock, InvalidInput, Reads, Units, new_id, utc_now
from bazaar_product import domain, events
from bazaar_product.domain import Product, ProductStatus


class Products(Protocol):
    """The product store as the use cases need it (`store.ProductStore` in production)."""

    async def get(self, sku: str) -> Product | None: ...
    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Product]]: ...
    async def exists(self, sku: str) -> bool: ...
    async def insert(self, product: Product) -> None: ...
    async def replace_version(self, product: Product) -> None: ...


async def create_product(
    *,
    units: Units[Products],
    sku: str,
    name: str,
    description: str,
    attributes: dict[str, Any],
    status: ProductStatus,
    clock: Clock = utc_now,
) -> Product:
    """Add a product (409 if its SKU is taken) and announce it."""
    product = domain.new_product(
        id=new_id(),
        sku=sku,
        name=name,
        description=description,
        attributes=attributes,
        status=status,
        now=clock(),
    )
    async with units() as work:
        if await work.store.exists(product.sku):
            raise domain.DuplicateSku(product.sku)
        await work.store.insert(product)
        work.emit(
            events.PRODUCT_CREATED,
            subject=product.sku,
            sequence=product.version,
            data=events.product_state(product),
        )
    return product


async def list_products(
    *, reads: Reads[Products], limit: int, offset: int
) -> tuple[int, list[Product]]:
    """One page of products in SKU order, and how many there are in all."""
    async with reads() as store:
        return await store.page(limit=limit, offset=offset)


async def get_product(*, reads: Reads[Products], sku: str) -> Product:
    async with reads() as store:
        product = await store.get(sku)
    if product is None:
        raise domain.ProductNotFound(sku)
    return product


async def revise_product(
    *,
    units: Units[Products],
    sku: str,
    expected_version: int,
    name: str | None = None,
    description: str | None = None,
    attributes: dict[str, Any] | None = None,
    status: ProductStatus | None = None,
    clock: Clock = utc_now,
) -> Product:
    """Apply a partial change made by someone who last saw `expected_version` (409 if stale)."""
    if status == ProductStatus.RECALLED:
        raise InvalidInput("recall a product with POST /products/{sku}/recall and a reason")
    async with units() as work:
        current = await work.store.get(sku)
        if current is None:
            raise domain.ProductNotFound(sku)
        revised = domain.revise(
            current,
            expected_version=expected_version,
            now=clock(),
            name=name,
            description=description,
            attributes=attributes,
            status=status,
        )
        await work.store.replace_version(revised)
        work.emit(
            events.PRODUCT_UPDATED,
            subject=sku,
            sequence=revised.version,
            data=events.product_state(revised),
        )
    return revised


async def recall_product(
    *, units: Units[Products], sku: str, reason: str, clock: Clock = utc_now
) -> Product:
    """Take a product off sale for safety, and say why."""
    async with units() as work:
        current = await work.store.get(sku)
        if current is None:
            raise domain.ProductNotFound(sku)
        recalled = domain.recall(current, now=clock())
        await work.store.replace_version(recalled)
        work.emit(
            events.PRODUCT_RECALLED,
            subject=sku,
            sequence=recalled.version,
            data=events.recalled(recalled, reason),
        )
    return recalled
