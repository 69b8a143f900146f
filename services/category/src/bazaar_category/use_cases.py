"""What the category service does, one keyword-only function per use case (the API only parses).

Writes read what the domain rules need, let `domain` decide, then write and emit in one unit of
work; a write that changes nothing emits nothing. The store is the `Categories` protocol below,
so unit tests run these functions on an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bazaar_category import domain, events
from bazaar_category.domain import Category, Membership
from bazaar_chassis import Clock, Reads, Units, Work, check_sku, utc_now

# A write that lost a race reads the winner's row and decides again; two more tries are plenty.
ATTEMPTS = 3

T = TypeVar("T")


class Categories(Protocol):
    """The category store as the use cases need it (`store.CategoryStore` in production)."""

    async def get_category(self, key: str) -> Category | None: ...
    async def category_exists(self, key: str) -> bool: ...
    async def all_categories(self) -> list[Category]: ...
    async def children_of(self, key: str) -> list[str]: ...
    async def products_in(self, key: str) -> list[Membership]: ...
    async def lock_tree(self) -> None: ...
    async def parent_chain(self, start: str) -> dict[str, str | None]: ...
    async def insert_category(self, category: Category) -> None: ...
    async def replace_category(self, category: Category) -> None: ...
    async def get_membership(self, *, category: str, sku: str) -> Membership | None: ...
    async def save_membership(self, membership: Membership) -> None: ...


@dataclass(frozen=True, slots=True)
class CategoryDetail:
    """One category with its children's keys and its products in display order."""

    category: Category
    children: list[str]
    products: list[Membership]


async def _retrying_races(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (read, decide, write) again when a concurrent write got there first.

    Without an expected version, losing a race is no reason to refuse a PUT: the retry applies
    it on top of the winner (or finds nothing left to change). With one, the retry reads the new
    version and the domain answers 409 stale.
    """
    for _ in range(ATTEMPTS - 1):
        try:
            return await attempt()
        except domain.ConcurrentWrite:
            continue
    return await attempt()


async def put_category(
    *,
    units: Units[Categories],
    key: str,
    name: str,
    parent: str | None,
    position: int,
    expected_version: int | None,
    clock: Clock = utc_now,
) -> tuple[Category, bool]:
    """Create the category or replace its name, parent and position; True when it is new."""
    domain.check_key(key)

    async def attempt(work: Work[Categories]) -> tuple[Category, bool]:
        store, now = work.store, clock()
        current = await store.get_category(key)
        parents: dict[str, str | None] = {}
        if parent is not None and (current is None or parent != current.parent):
            await store.lock_tree()
            parents = await store.parent_chain(parent)
        category = domain.put_category(
            current,
            key=key,
            name=name,
            parent=parent,
            position=position,
            parents=parents,
            now=now,
            expected_version=expected_version,
        )
        if category is current:
            return current, False
        if current is None:
            await store.insert_category(category)
        else:
            await store.replace_category(category)
        work.emit(
            events.CATEGORY_CREATED if current is None else events.CATEGORY_UPDATED,
            subject=category.key,
            sequence=category.version,
            data=events.category_state(category),
        )
        return category, current is None

    async with units() as work:
        return await _retrying_races(lambda: attempt(work))


async def list_categories(*, reads: Reads[Categories]) -> list[Category]:
    """Every category, roots first, then grouped by parent in sibling order."""
    async with reads() as store:
        return await store.all_categories()


async def category_detail(*, reads: Reads[Categories], key: str) -> CategoryDetail:
    async with reads() as store:
        category = await store.get_category(key)
        if category is None:
            raise domain.CategoryNotFound(key)
        return CategoryDetail(
            category=category,
            children=await store.children_of(key),
            products=await store.products_in(key),
        )


async def assign_product(
    *, units: Units[Categories], key: str, sku: str, position: int, clock: Clock = utc_now
) -> tuple[Membership, bool]:
    """Place a SKU in the category or move it; True when it was not in the category before.

    Any syntactically valid SKU is accepted: products are owned by the product service, and
    category must keep working when it is down (M3).
    """
    domain.check_key(key)
    check_sku(sku)

    async def attempt(work: Work[Categories]) -> tuple[Membership, bool]:
        if not await work.store.category_exists(key):
            raise domain.CategoryNotFound(key)
        current = await work.store.get_membership(category=key, sku=sku)
        membership = domain.assign(current, category=key, sku=sku, position=position, now=clock())
        placed = current is None or not current.assigned
        if membership is current:
            return current, placed
        await work.store.save_membership(membership)
        work.emit(
            events.PRODUCT_ASSIGNED,
            subject=events.membership_subject(membership),
            sequence=membership.version,
            data=events.product_assigned(membership),
        )
        return membership, placed

    async with units() as work:
        return await _retrying_races(lambda: attempt(work))


async def unassign_product(
    *, units: Units[Categories], key: str, sku: str, clock: Clock = utc_now
) -> None:
    """Take a SKU out of the category; 404 when it is not in it."""
    domain.check_key(key)
    check_sku(sku)

    async def attempt(work: Work[Categories]) -> None:
        if not await work.store.category_exists(key):
            raise domain.CategoryNotFound(key)
        current = await work.store.get_membership(category=key, sku=sku)
        membership = domain.unassign(current, category=key, sku=sku, now=clock())
        await work.store.save_membership(membership)
        work.emit(
            events.PRODUCT_UNASSIGNED,
            subject=events.membership_subject(membership),
            sequence=membership.version,
            data=events.product_unassigned(membership),
        )

    async with units() as work:
        await _retrying_races(lambda: attempt(work))
