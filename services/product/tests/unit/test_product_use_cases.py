"""Product use cases on an in-memory store: what each one stores, refuses and announces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import InvalidInput, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_product import use_cases
from bazaar_product.domain import DuplicateSku, Product, ProductNotFound, ProductStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


class FakeProductStore:
    """The `Products` protocol over a dict, with the store's version check."""

    def __init__(self) -> None:
        self.rows: dict[str, Product] = {}

    async def get(self, sku: str) -> Product | None:
        return self.rows.get(sku)

    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Product]]:
        ordered = [self.rows[sku] for sku in sorted(self.rows)]
        return len(ordered), ordered[offset : offset + limit]

    async def exists(self, sku: str) -> bool:
        return sku in self.rows

    async def insert(self, product: Product) -> None:
        self.rows[product.sku] = product

    async def replace_version(self, product: Product) -> None:
        stored = self.rows[product.sku]
        if stored.version != product.version - 1:
            raise StaleVersion(resource="product", expected=product.version - 1, actual=0)
        self.rows[product.sku] = product


def fake_units() -> FakeUnits[FakeProductStore]:
    return FakeUnits(FakeProductStore())


async def create(units: FakeUnits[FakeProductStore], sku: str = "COF-1") -> Product:
    return await use_cases.create_product(
        units=units,
        sku=sku,
        name="Coffee",
        description="",
        attributes={"origin": "ET"},
        status=ProductStatus.ACTIVE,
        clock=lambda: NOW,
    )


async def test_creating_a_product_stores_it_at_version_1_and_announces_it() -> None:
    units = fake_units()
    product = await create(units)
    assert units.store.rows["COF-1"] == product
    assert (product.version, product.created_at) == (1, NOW)
    [event] = units.published
    assert (event.type, event.subject, event.sequence) == ("product.created.v1", "COF-1", 1)
    assert event.data["attributes"] == {"origin": "ET"}


async def test_a_taken_sku_is_refused_and_nothing_is_announced() -> None:
    units = fake_units()
    await create(units)
    with pytest.raises(DuplicateSku, match="COF-1"):
        await create(units)
    assert len(units.published) == 1


async def test_revising_bumps_the_version_and_announces_the_new_state() -> None:
    units = fake_units()
    await create(units)
    revised = await use_cases.revise_product(
        units=units, sku="COF-1", expected_version=1, name="Better coffee", clock=lambda: LATER
    )
    assert (revised.name, revised.version, revised.updated_at) == ("Better coffee", 2, LATER)
    assert [e.type for e in units.published][-1] == "product.updated.v1"
    assert units.published[-1].data["name"] == "Better coffee"


async def test_a_revision_from_a_stale_version_changes_nothing() -> None:
    units = fake_units()
    await create(units)
    with pytest.raises(StaleVersion):
        await use_cases.revise_product(units=units, sku="COF-1", expected_version=7, name="X")
    assert units.store.rows["COF-1"].name == "Coffee"
    assert len(units.published) == 1


async def test_recall_goes_through_its_own_use_case_only() -> None:
    units = fake_units()
    await create(units)
    with pytest.raises(InvalidInput, match="recall"):
        await use_cases.revise_product(
            units=units, sku="COF-1", expected_version=1, status=ProductStatus.RECALLED
        )
    recalled = await use_cases.recall_product(
        units=units, sku="COF-1", reason="glass shards", clock=lambda: LATER
    )
    assert recalled.status == ProductStatus.RECALLED
    assert units.published[-1].type == "product.recalled.v1"
    assert units.published[-1].data["reason"] == "glass shards"


async def test_reading_an_unknown_product_is_not_found() -> None:
    units = fake_units()
    with pytest.raises(ProductNotFound, match="NOPE"):
        await use_cases.get_product(reads=units.reads, sku="NOPE")
    with pytest.raises(ProductNotFound):
        await use_cases.recall_product(units=units, sku="NOPE", reason="why")


async def test_listing_pages_in_sku_order_with_the_total() -> None:
    units = fake_units()
    for sku in ["C", "A", "B"]:
        await create(units, sku)
    total, page = await use_cases.list_products(reads=units.reads, limit=2, offset=1)
    assert total == 3
    assert [p.sku for p in page] == ["B", "C"]
