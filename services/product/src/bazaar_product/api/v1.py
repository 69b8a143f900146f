"""Product API v1: create, read, list, revise (optimistic concurrency) and recall products."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bazaar_chassis import InvalidInput, RuntimeDep
from bazaar_chassis.envelope import new_event_id
from bazaar_product import domain, events, store
from bazaar_product.domain import Product, ProductStatus

router = APIRouter()

Attributes = dict[str, str | int | float | bool | None]


class ProductCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64, examples=["COF-ETH-250"])
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    attributes: Attributes = Field(default_factory=dict)
    status: ProductStatus = ProductStatus.ACTIVE


class ProductPatch(BaseModel):
    version: int = Field(ge=1, description="the version you last read; a stale one gets 409")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    attributes: Attributes | None = None
    status: ProductStatus | None = Field(
        default=None, description="use the recall endpoint to recall; other moves are checked"
    )


class RecallRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class ProductOut(BaseModel):
    id: str
    sku: str
    name: str
    description: str
    attributes: dict[str, Any]
    status: ProductStatus
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            attributes=product.attributes,
            status=product.status,
            version=product.version,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class ProductPage(BaseModel):
    total: int
    items: list[ProductOut]


@router.post("/products", status_code=201)
async def create_product(body: ProductCreate, runtime: RuntimeDep) -> ProductOut:
    product = domain.new_product(
        id=new_event_id(),
        sku=body.sku,
        name=body.name,
        description=body.description,
        attributes=dict(body.attributes),
        status=body.status,
        now=datetime.now(UTC),
    )
    async with runtime.unit_of_work() as uow:
        if await store.exists(uow.connection, product.sku):
            raise domain.DuplicateSku(product.sku)
        await store.insert(uow.connection, product)
        uow.emit(
            events.PRODUCT_CREATED,
            subject=product.sku,
            sequence=product.version,
            data=events.product_state(product),
        )
    return ProductOut.of(product)


@router.get("/products")
async def list_products(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ProductPage:
    async with runtime.database.snapshot() as connection:
        total, products = await store.page(connection, limit=limit, offset=offset)
    return ProductPage(total=total, items=[ProductOut.of(p) for p in products])


@router.get("/products/{sku}")
async def get_product(sku: str, runtime: RuntimeDep) -> ProductOut:
    async with runtime.database.snapshot() as connection:
        product = await store.get(connection, sku)
    if product is None:
        raise domain.ProductNotFound(sku)
    return ProductOut.of(product)


@router.patch("/products/{sku}")
async def revise_product(sku: str, body: ProductPatch, runtime: RuntimeDep) -> ProductOut:
    if body.status == ProductStatus.RECALLED:
        raise InvalidInput("recall a product with POST /products/{sku}/recall and a reason")
    async with runtime.unit_of_work() as uow:
        current = await store.get(uow.connection, sku)
        if current is None:
            raise domain.ProductNotFound(sku)
        revised = domain.revise(
            current,
            expected_version=body.version,
            now=datetime.now(UTC),
            name=body.name,
            description=body.description,
            attributes=dict(body.attributes) if body.attributes is not None else None,
            status=body.status,
        )
        await store.replace_version(uow.connection, revised)
        uow.emit(
            events.PRODUCT_UPDATED,
            subject=sku,
            sequence=revised.version,
            data=events.product_state(revised),
        )
    return ProductOut.of(revised)


@router.post("/products/{sku}/recall")
async def recall_product(sku: str, body: RecallRequest, runtime: RuntimeDep) -> ProductOut:
    async with runtime.unit_of_work() as uow:
        current = await store.get(uow.connection, sku)
        if current is None:
            raise domain.ProductNotFound(sku)
        recalled = domain.recall(current, now=datetime.now(UTC))
        await store.replace_version(uow.connection, recalled)
        uow.emit(
            events.PRODUCT_RECALLED,
            subject=sku,
            sequence=recalled.version,
            data=events.recalled(recalled, body.reason),
        )
    return ProductOut.of(recalled)
