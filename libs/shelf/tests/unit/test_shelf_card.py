"""What every shop window shows: listed statuses and the displayed price."""

from __future__ import annotations

import pytest

from bazaar_chassis import Money
from bazaar_shelf.card import display_price, is_listed


@pytest.mark.parametrize(
    ("status", "listed"),
    [
        ("active", True),
        ("draft", False),
        ("discontinued", False),
        ("recalled", False),
        (None, False),
    ],
)
def test_only_active_products_are_listed(status: str | None, listed: bool) -> None:
    assert is_listed(status) is listed


def test_the_usd_base_price_is_shown_when_there_is_one() -> None:
    assert display_price([Money(1100, "EUR"), Money(1200, "USD")]) == Money(1200, "USD")


def test_without_a_usd_price_the_first_published_base_price_is_shown() -> None:
    assert display_price([Money(1100, "EUR"), Money(990, "GBP")]) == Money(1100, "EUR")


def test_a_sku_without_prices_shows_no_price() -> None:
    assert display_price([]) is None
