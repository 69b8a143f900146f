"""Category API v1: the category tree (PUT/GET categories) and product placement in it.

Thin on purpose: parse the request, load what the domain rules need, let `domain` decide, write
and emit in one unit of work. A write that changes nothing answers 200 without a new event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from bazaar_category import domain, events, store
from bazaar_category.domain import MAX_NAME_LENGTH, MAX_POSITION, Category, Membership
from bazaar_chassis import RuntimeDep, UnitOfWork
from bazaar_chassis.envelope import new_event_id

router = APIRouter()


class CategoryPut(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["Coffee"])
    parent: str | None = Field(
        default=None, description="key of the parent category; null (or absent) for a root"
    )
    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="order among siblings")
    version: int | None = Field(
        default=None, ge=1, description="the version you last read; a stale one gets 409"
    )


class Placement(BaseModel):
    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="order in the category")


class CategoryOut(BaseModel):
    id: str
    key: str
    name: str
    parent: str | None
    position: int
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, category: Category) -> CategoryOut:
        return cls(
            id=category.id,
            key=category.key,
            name=category.name,
            parent=category.parent,
            position=category.position,
            version=category.version,
            created_at=category.created_at,
            updated_at=category.updated_at,
        )


class ProductPlacement(BaseModel):
    sku: str
    position: int


class CategoryDetail(CategoryOut):
    children: list[str]
    products: list[ProductPlacement]


class CategoryList(BaseModel):
    items: list[CategoryOut]


class MembershipOut(BaseModel):
    category: str
    sku: str
    position: int
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> MembershipOut:
        return cls(
            category=membership.category,
            sku=membership.sku,
            position=membership.position,
            version=membership.version,
            created_at=membership.created_at,
            updated_at=membership.updated_at,
        )


_CREATED: dict[int | str, dict[str, Any]] = {201: {"description": "created"}}
# A write that lost a race reads the winner's row and decides again; two more tries are plenty.
ATTEMPTS = 3

T = TypeVar("T")


async def _retrying_races(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (read, decide, write) again when a concurrent write got there first.

    Without a `version` in the request, losing a race is no reason to refuse a PUT: the retry
    applies it on top of the winner (or finds nothing left to change). With a `version`, the
    retry reads the new version and the domain answers 409 stale.
    """
    for _ in range(ATTEMPTS - 1):
        try:
            return await attempt()
        except domain.ConcurrentWrite:
            continue
    return await attempt()


@router.put("/categories/{key}", responses=_CREATED)
async def put_category(
    key: str, body: CategoryPut, runtime: RuntimeDep, response: Response
) -> CategoryOut:
    """Create the category (201) or replace its name, parent and position (200)."""
    domain.check_key(key)
    async with runtime.unit_of_work() as uow:
        category, created = await _retrying_races(lambda: _put_category(uow, key=key, body=body))
    if created:
        response.status_code = 201
    return CategoryOut.of(category)


async def _put_category(uow: UnitOfWork, *, key: str, body: CategoryPut) -> tuple[Category, bool]:
    """One attempt at a category PUT: the category as it is now, and whether it is new."""
    now = datetime.now(UTC)
    current = await store.get_category(uow.connection, key)
    parents: dict[str, str | None] = {}
    if body.parent is not None and (current is None or body.parent != current.parent):
        await store.lock_tree(uow.connection)
        parents = await store.parent_chain(uow.connection, body.parent)
    if current is None:
        category = domain.new_category(
            id=new_event_id(),
            key=key,
            name=body.name,
            parent=body.parent,
            position=body.position,
            parents=parents,
            now=now,
            expected_version=body.version,
        )
        await store.insert_category(uow.connection, category)
    else:
        category = domain.revise_category(
            current,
            name=body.name,
            parent=body.parent,
            position=body.position,
            parents=parents,
            now=now,
            expected_version=body.version,
        )
        if category is current:
            return current, False
        await store.replace_category(uow.connection, category)
    uow.emit(
        events.CATEGORY_CREATED if current is None else events.CATEGORY_UPDATED,
        subject=category.key,
        sequence=category.version,
        data=events.category_state(category),
    )
    return category, current is None


@router.get("/categories")
async def list_categories(runtime: RuntimeDep) -> CategoryList:
    """Every category, roots first, then grouped by parent in sibling order."""
    async with runtime.database.snapshot() as connection:
        found = await store.all_categories(connection)
    return CategoryList(items=[CategoryOut.of(c) for c in found])


@router.get("/categories/{key}")
async def get_category(key: str, runtime: RuntimeDep) -> CategoryDetail:
    """One category with its children's keys and its products in display order."""
    async with runtime.database.snapshot() as connection:
        category = await store.get_category(connection, key)
        if category is None:
            raise domain.CategoryNotFound(key)
        children = await store.children_of(connection, key)
        placed = await store.products_in(connection, key)
    return CategoryDetail(
        **CategoryOut.of(category).model_dump(),
        children=children,
        products=[ProductPlacement(sku=m.sku, position=m.position) for m in placed],
    )


@router.put("/categories/{key}/products/{sku}", responses=_CREATED)
async def assign_product(
    key: str,
    sku: str,
    runtime: RuntimeDep,
    response: Response,
    body: Placement | None = None,
) -> MembershipOut:
    """Place a SKU in the category (201) or move it to another position (200).

    Any syntactically valid SKU is accepted: products are owned by the product service, and
    category must keep working when it is down (M3).
    """
    domain.check_key(key)
    domain.check_sku(sku)
    position = (body or Placement()).position
    async with runtime.unit_of_work() as uow:
        membership, placed = await _retrying_races(
            lambda: _assign(uow, key=key, sku=sku, position=position)
        )
    if placed:
        response.status_code = 201
    return MembershipOut.of(membership)


async def _assign(uow: UnitOfWork, *, key: str, sku: str, position: int) -> tuple[Membership, bool]:
    """One attempt at an assignment: the membership now, and whether the SKU was not in before."""
    if not await store.category_exists(uow.connection, key):
        raise domain.CategoryNotFound(key)
    current = await store.get_membership(uow.connection, category=key, sku=sku)
    membership = domain.assign(
        current, category=key, sku=sku, position=position, now=datetime.now(UTC)
    )
    placed = current is None or not current.assigned
    if membership is current:
        return current, placed
    await store.save_membership(uow.connection, membership)
    uow.emit(
        events.PRODUCT_ASSIGNED,
        subject=events.membership_subject(membership),
        sequence=membership.version,
        data=events.product_assigned(membership),
    )
    return membership, placed


@router.delete("/categories/{key}/products/{sku}", status_code=204)
async def unassign_product(key: str, sku: str, runtime: RuntimeDep) -> Response:
    """Take a SKU out of the category; 404 when it is not in it."""
    domain.check_key(key)
    domain.check_sku(sku)
    async with runtime.unit_of_work() as uow:
        await _retrying_races(lambda: _unassign(uow, key=key, sku=sku))
    return Response(status_code=204)


async def _unassign(uow: UnitOfWork, *, key: str, sku: str) -> None:
    if not await store.category_exists(uow.connection, key):
        raise domain.CategoryNotFound(key)
    current = await store.get_membership(uow.connection, category=key, sku=sku)
    membership = domain.unassign(current, category=key, sku=sku, now=datetime.now(UTC))
    await store.save_membership(uow.connection, membership)
    uow.emit(
        events.PRODUCT_UNASSIGNED,
        subject=events.membership_subject(membership),
        sequence=membership.version,
        data=events.product_unassigned(membership),
    )
