"""v2's whole-list write (`domain.replace_rows`) and the events every change publishes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bazaar_chassis import StaleVersion
from bazaar_pricing import events
from bazaar_pricing.domain import InvalidPriceRow, PriceList, price_row, replace_rows

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = price_row(currency="USD", amount=1299)
BULK = price_row(currency="USD", amount=999, min_quantity=10)
EUR = price_row(currency="EUR", amount=1150)


def test_the_list_becomes_exactly_the_rows_given_in_a_stable_order() -> None:
    after = replace_rows(PriceList(sku="A"), rows=[BULK, EUR, BASE], expected_version=0, now=NOW)
    assert (after.version, after.updated_at, after.rows) == (1, NOW, (EUR, BASE, BULK))


def test_the_same_rows_in_another_order_are_not_a_change() -> None:
    before = replace_rows(PriceList(sku="A"), rows=[BASE, BULK], expected_version=None, now=NOW)
    assert replace_rows(before, rows=[BULK, BASE], expected_version=None, now=NOW) is before


def test_two_rows_for_the_same_currency_group_tier_and_window_are_refused() -> None:
    with pytest.raises(InvalidPriceRow, match="keep one"):
        replace_rows(
            PriceList(sku="A"),
            rows=[BASE, price_row(currency="USD", amount=1)],
            expected_version=None,
            now=NOW,
        )


def test_a_stale_version_is_refused_after_the_rows_are_checked() -> None:
    with pytest.raises(StaleVersion):
        replace_rows(PriceList(sku="A"), rows=[BASE], expected_version=3, now=NOW)


def test_every_change_is_published_in_both_majors_of_price_changed() -> None:
    listed = replace_rows(PriceList(sku="A"), rows=[BASE, BULK, EUR], expected_version=0, now=NOW)
    payloads = {name: build(listed) for name, build in events.PUBLISHED.items()}
    assert set(payloads) == {events.PRICE_CHANGED, events.PRICE_CHANGED_V2}
    v1 = events.PriceChanged.model_validate(payloads[events.PRICE_CHANGED])
    v2 = events.PriceChangedV2.model_validate(payloads[events.PRICE_CHANGED_V2])
    assert [(m.currency, m.amount) for m in v1.base_prices] == [("EUR", 1150), ("USD", 1299)]
    assert [(c.currency, c.base_amount, len(c.prices)) for c in v2.currencies] == [
        ("EUR", 1150, 1),
        ("USD", 1299, 2),
    ]
