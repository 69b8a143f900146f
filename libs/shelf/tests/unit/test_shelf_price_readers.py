"""A shop window reads both majors of pricing.price_changed as the same facts (v2 upcast to v1)."""

from __future__ import annotations

import pytest

from bazaar_shelf.facts import BasePrice, PriceFacts, price_facts

V1 = {
    "sku": "COF-1",
    "base_prices": [{"amount": 1150, "currency": "EUR"}, {"amount": 1299, "currency": "USD"}],
    "prices": [],
}
V2 = {
    "sku": "COF-1",
    "currencies": [
        {"currency": "EUR", "base_amount": 1150, "prices": []},
        {"currency": "GBP", "base_amount": None, "prices": []},  # only tiers: no base price
        {"currency": "USD", "base_amount": 1299, "prices": []},
    ],
}


def test_a_v2_price_change_reads_as_the_v1_facts_of_the_same_list() -> None:
    expected = PriceFacts(
        sku="COF-1",
        base_prices=[
            BasePrice(amount=1150, currency="EUR"),
            BasePrice(amount=1299, currency="USD"),
        ],
    )
    assert price_facts("pricing.price_changed.v1", V1) == expected
    assert price_facts("pricing.price_changed.v2", V2) == expected


def test_a_major_the_catalog_does_not_read_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="v1 and v2"):
        price_facts("pricing.price_changed.v3", V2)
