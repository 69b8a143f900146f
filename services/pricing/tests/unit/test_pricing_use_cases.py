"""Pricing use cases on an in-memory store: what each one stores, refuses and announces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bazaar_chassis import InvalidSku, InvalidSkuList, StaleVersion
from bazaar_chassis.testing import FakeUnits
from bazaar_pricing import use_cases
from bazaar_pricing.domain import PriceList, PriceNotFound, UnknownCurrency, price_row

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakePriceStore:
    """The `Prices` protocol over a dict of whole price lists."""

    def __init__(self) -> None:
        self.lists: dict[str, PriceList] = {}

    async def load(self, sku: str, *, lock: bool = False) -> PriceList:
        return self.lists.get(sku, PriceList(sku=sku))

    async def load_base_prices(self, skus: Sequence[str]) -> dict[str, PriceList]:
        return {
            sku: replace(self.lists[sku], rows=tuple(r for r in self.lists[sku].rows if r.is_base))
            for sku in skus
            if sku in self.lists
        }

    async def save_base_price(self, *, before: PriceList, after: PriceList, currency: str) -> None:
        await self.save_rows(before=before, after=after)

    async def save_rows(self, *, before: PriceList, after: PriceList) -> None:
        if self.lists.get(before.sku, PriceList(sku=before.sku)).version != before.version:
            raise StaleVersion(resource=before.sku, expected=before.version, actual=-1)
        self.lists[after.sku] = after


async def put(
    units: FakeUnits[FakePriceStore], sku: str, amount: int, currency: str = "USD"
) -> PriceList:
    price_list, _row = await use_cases.set_base_price(
        units=units,
        sku=sku,
        amount=amount,
        currency=currency,
        expected_version=None,
        clock=lambda: NOW,
    )
    return price_list


async def test_a_first_price_starts_the_list_at_version_1_and_is_announced() -> None:
    units = FakeUnits(FakePriceStore())
    price_list = await put(units, "COF-1", 1299)
    assert (price_list.version, price_list.updated_at) == (1, NOW)
    event, twin = units.published  # v1 and, beside it, v2 of the same change
    assert (event.type, event.subject, event.sequence) == ("pricing.price_changed.v1", "COF-1", 1)
    assert event.data["base_prices"] == [{"amount": 1299, "currency": "USD"}]
    assert (twin.type, twin.subject, twin.sequence) == ("pricing.price_changed.v2", "COF-1", 1)


async def test_setting_the_same_amount_again_is_no_change_and_no_event() -> None:
    units = FakeUnits(FakePriceStore())
    await put(units, "COF-1", 1299)
    assert (await put(units, "COF-1", 1299)).version == 1
    assert len(units.published) == 2  # the first write's v1 and v2, nothing more


async def test_a_stale_version_is_refused_and_nothing_is_stored() -> None:
    units = FakeUnits(FakePriceStore())
    await put(units, "COF-1", 1299)
    with pytest.raises(StaleVersion):
        await use_cases.set_base_price(
            units=units, sku="COF-1", amount=1, currency="USD", expected_version=0
        )
    assert units.store.lists["COF-1"].base_price("USD") == price_row(currency="USD", amount=1299)


async def test_a_bad_sku_or_currency_is_refused_before_anything_is_read() -> None:
    units = FakeUnits(FakePriceStore())
    with pytest.raises(InvalidSku):
        await put(units, "bad sku", 1)
    with pytest.raises(UnknownCurrency):
        await put(units, "COF-1", 1, currency="usd")
    assert units.commits == 0


async def test_reading_a_price_that_does_not_exist_says_so() -> None:
    units = FakeUnits(FakePriceStore())
    await put(units, "COF-1", 1299)
    with pytest.raises(PriceNotFound, match="no base price in EUR"):
        await use_cases.get_base_price(reads=units.reads, sku="COF-1", currency="EUR")
    _list, row = await use_cases.get_base_price(reads=units.reads, sku="COF-1", currency=None)
    assert row.amount == 1299


async def test_a_batch_read_keeps_request_order_and_leaves_out_skus_without_a_price() -> None:
    units = FakeUnits(FakePriceStore())
    await put(units, "A", 100)
    await put(units, "B", 200)
    found = await use_cases.get_base_prices(reads=units.reads, skus="B, NONE,A,B", currency=None)
    assert [(p.sku, row.amount) for p, row in found] == [("B", 200), ("A", 100)]
    with pytest.raises(InvalidSkuList):
        await use_cases.get_base_prices(reads=units.reads, skus=" , ", currency=None)
