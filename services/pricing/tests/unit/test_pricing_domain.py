"""Pricing rules without I/O: money checks, the v1 base-price rules and `select_price`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import (
    InvalidInput,
    InvalidSku,
    InvalidSkuList,
    StaleVersion,
    check_sku,
    parse_skus,
)
from bazaar_pricing.domain import (
    ACTIVE_CURRENCIES,
    MAX_AMOUNT,
    MINOR_UNITS,
    AmountOutOfRange,
    CurrencyRequired,
    InvalidPriceRow,
    PriceList,
    PriceNotFound,
    PriceRow,
    UnknownCurrency,
    check_amount,
    check_currency,
    price_row,
    require_base_price,
    select_price,
    set_base_price,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def a_list(*rows: PriceRow, version: int = 1) -> PriceList:
    return PriceList(sku="COF-1", version=version, updated_at=NOW, rows=rows)


def best(rows: list[PriceRow], *, quantity: int = 1, group: str | None = None) -> int | None:
    """The amount `select_price` picks for a USD buyer at NOW, or None."""
    row = select_price(rows, currency="USD", quantity=quantity, customer_group=group, now=NOW)
    return None if row is None else row.amount


# --- currencies, amounts, SKUs ---


@pytest.mark.parametrize("currency", ["USD", "EUR", "JPY", "KWD", "CHF", "XOF"])
def test_active_iso_4217_codes_are_accepted(currency: str) -> None:
    assert check_currency(currency) == currency


@pytest.mark.parametrize("currency", ["XYZ", "usd", "Usd", "US", "USDD", "", "XTS", "HRK"])
def test_unknown_lower_case_and_withdrawn_codes_are_refused_by_name(currency: str) -> None:
    with pytest.raises(UnknownCurrency, match=f"currency {currency!r}"):
        check_currency(currency)


def test_a_lower_case_code_is_told_the_upper_case_spelling() -> None:
    with pytest.raises(UnknownCurrency, match="use 'USD'"):
        check_currency("usd")


def test_minor_unit_exponents_follow_iso_4217() -> None:
    assert (MINOR_UNITS["USD"], MINOR_UNITS["JPY"], MINOR_UNITS["KWD"]) == (2, 0, 3)
    assert frozenset(MINOR_UNITS) == ACTIVE_CURRENCIES
    assert all(len(code) == 3 and code.isupper() for code in ACTIVE_CURRENCIES)


@pytest.mark.parametrize("amount", [0, 1, 1299, MAX_AMOUNT])
def test_amounts_from_zero_to_the_maximum_are_accepted(amount: int) -> None:
    assert check_amount(amount) == amount


@pytest.mark.parametrize("amount", [-1, MAX_AMOUNT + 1, -(10**12)])
def test_amounts_outside_the_range_are_refused_with_the_amount_named(amount: int) -> None:
    with pytest.raises(AmountOutOfRange, match=f"amount {amount} is out of range"):
        check_amount(amount)


@pytest.mark.parametrize("amount", [12.5, 12.0, "1299", True])
def test_an_amount_that_is_not_an_integer_is_refused(amount: object) -> None:
    with pytest.raises(InvalidInput, match="integer"):
        check_amount(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("sku", ["", "-leading-dash", "has space", "x" * 65, "ümlaut"])
def test_an_invalid_sku_is_refused_with_the_rule_in_the_message(sku: str) -> None:
    with pytest.raises(InvalidSku, match="1-64 letters"):
        check_sku(sku)


def test_a_sku_list_is_trimmed_deduplicated_and_kept_in_order() -> None:
    assert parse_skus(" B, A,B ,,C") == ["B", "A", "C"]


def test_a_sku_list_longer_than_a_hundred_is_refused() -> None:
    assert len(parse_skus(",".join(f"S{i}" for i in range(100)))) == 100
    with pytest.raises(InvalidSkuList, match="101 SKUs"):
        parse_skus(",".join(f"S{i}" for i in range(101)))


def test_an_empty_sku_list_is_refused() -> None:
    with pytest.raises(InvalidSkuList, match="skus is empty"):
        parse_skus(" , ")


# --- price rows ---


def test_a_price_row_needs_a_tier_of_at_least_one_and_a_forward_window() -> None:
    with pytest.raises(InvalidPriceRow, match="min_quantity 0"):
        price_row(currency="USD", amount=1, min_quantity=0)
    with pytest.raises(InvalidPriceRow, match="must be before valid_until"):
        price_row(currency="USD", amount=1, valid_from=LATER, valid_until=NOW)
    with pytest.raises(InvalidPriceRow, match="needs a time zone"):
        price_row(currency="USD", amount=1, valid_from=datetime(2026, 1, 1))
    with pytest.raises(InvalidPriceRow, match="customer_group 'Big Buyers'"):
        price_row(currency="USD", amount=1, customer_group="Big Buyers")
    with pytest.raises(InvalidPriceRow, match=r"customer_group 'wholesale\\n'"):
        price_row(currency="USD", amount=1, customer_group="wholesale\n")


def test_only_the_unconditional_single_unit_row_is_a_base_price() -> None:
    assert price_row(currency="USD", amount=1).is_base
    assert not price_row(currency="USD", amount=1, min_quantity=2).is_base
    assert not price_row(currency="USD", amount=1, customer_group="b2b").is_base
    assert not price_row(currency="USD", amount=1, valid_until=NOW).is_base


# --- v1: setting and reading base prices ---


def test_the_first_base_price_makes_version_one() -> None:
    after = set_base_price(
        PriceList(sku="COF-1"), amount=1299, currency="USD", expected_version=None, now=NOW
    )
    assert (after.version, after.updated_at) == (1, NOW)
    assert after.base_price("USD") == price_row(currency="USD", amount=1299)


def test_every_change_bumps_the_version_by_one_and_keeps_other_rows() -> None:
    tier = price_row(currency="USD", amount=999, min_quantity=10)
    euro = price_row(currency="EUR", amount=1150)
    before = a_list(price_row(currency="USD", amount=1299), tier, euro, version=4)
    after = set_base_price(before, amount=1399, currency="USD", expected_version=4, now=LATER)
    assert (after.version, after.updated_at) == (5, LATER)
    assert set(after.rows) == {price_row(currency="USD", amount=1399), tier, euro}


def test_setting_the_amount_a_price_already_has_is_not_a_change() -> None:
    before = a_list(price_row(currency="USD", amount=1299), version=3)
    assert set_base_price(before, amount=1299, currency="USD", expected_version=3, now=LATER) is (
        before
    )


def test_a_write_based_on_an_old_version_is_stale() -> None:
    before = a_list(price_row(currency="USD", amount=1299), version=2)
    with pytest.raises(StaleVersion, match="at version 2"):
        set_base_price(before, amount=1, currency="USD", expected_version=1, now=NOW)
    with pytest.raises(StaleVersion):
        set_base_price(before, amount=1, currency="USD", expected_version=0, now=NOW)


def test_bad_input_is_reported_before_a_stale_version() -> None:
    with pytest.raises(UnknownCurrency):
        set_base_price(a_list(), amount=1, currency="XYZ", expected_version=99, now=NOW)


def test_without_a_currency_usd_is_preferred_then_the_only_price() -> None:
    usd, eur, gbp = (price_row(currency=c, amount=100) for c in ("USD", "EUR", "GBP"))
    assert require_base_price(a_list(eur, usd), None) == usd
    assert require_base_price(a_list(eur), None) == eur
    with pytest.raises(CurrencyRequired, match="EUR, GBP"):
        require_base_price(a_list(gbp, eur), None)


def test_a_missing_price_names_the_sku_and_the_currencies_it_has() -> None:
    with pytest.raises(PriceNotFound, match="'COF-1' has no base price in EUR \\(it has: USD\\)"):
        require_base_price(a_list(price_row(currency="USD", amount=1)), "EUR")
    with pytest.raises(PriceNotFound, match="'NEW' has no base price"):
        require_base_price(PriceList(sku="NEW"), None)
    with pytest.raises(UnknownCurrency):
        require_base_price(PriceList(sku="NEW"), "usd")


# --- select_price: the rule v2 and the cart use ---


def test_the_deepest_tier_reached_wins() -> None:
    rows = [
        price_row(currency="USD", amount=1000),
        price_row(currency="USD", amount=900, min_quantity=10),
        price_row(currency="USD", amount=800, min_quantity=100),
    ]
    assert [best(rows, quantity=q) for q in (1, 9, 10, 99, 100, 5000)] == [
        1000,
        1000,
        900,
        900,
        800,
        800,
    ]


def test_a_group_price_beats_the_generic_one_only_for_that_group() -> None:
    rows = [
        price_row(currency="USD", amount=1000),
        price_row(currency="USD", amount=850, customer_group="wholesale"),
    ]
    assert best(rows, group="wholesale") == 850
    assert best(rows, group="retail") == 1000
    assert best(rows, group=None) == 1000


def test_a_deeper_generic_tier_beats_a_shallower_group_price() -> None:
    rows = [
        price_row(currency="USD", amount=900, min_quantity=10),
        price_row(currency="USD", amount=950, customer_group="wholesale"),
    ]
    assert best(rows, quantity=10, group="wholesale") == 900
    assert best(rows, quantity=9, group="wholesale") == 950


def test_a_validity_window_is_half_open_and_overrides_the_regular_price() -> None:
    regular = price_row(currency="USD", amount=1000)
    sale = price_row(currency="USD", amount=700, valid_from=NOW, valid_until=LATER)
    rows = [regular, sale]
    at = {
        moment: select_price(rows, currency="USD", quantity=1, customer_group=None, now=moment)
        for moment in (NOW - timedelta(seconds=1), NOW, LATER - timedelta(seconds=1), LATER)
    }
    assert [row.amount if row else None for row in at.values()] == [1000, 700, 700, 1000]


def test_the_newest_campaign_wins_among_overlapping_windows() -> None:
    rows = [
        price_row(currency="USD", amount=700, valid_from=NOW - timedelta(days=7)),
        price_row(currency="USD", amount=750, valid_from=NOW - timedelta(days=1)),
    ]
    assert best(rows) == 750


def test_equally_ranked_rows_pick_the_lowest_amount_whatever_their_order() -> None:
    a = price_row(currency="USD", amount=500, valid_until=LATER)
    b = price_row(currency="USD", amount=400, valid_until=LATER + timedelta(days=1))
    assert best([a, b]) == best([b, a]) == 400


def test_only_rows_in_the_requested_currency_apply() -> None:
    rows = [price_row(currency="EUR", amount=900), price_row(currency="USD", amount=1000)]
    assert best(rows) == 1000
    assert select_price(rows, currency="GBP", quantity=1, customer_group=None, now=NOW) is None


def test_no_applicable_row_means_no_price() -> None:
    rows = [
        price_row(currency="USD", amount=900, min_quantity=10),
        price_row(currency="USD", amount=800, customer_group="staff"),
        price_row(currency="USD", amount=700, valid_until=NOW),
    ]
    assert best(rows, quantity=5) is None


def test_select_price_refuses_a_nonsense_question() -> None:
    rows = [price_row(currency="USD", amount=1)]
    with pytest.raises(UnknownCurrency):
        select_price(rows, currency="usd", quantity=1, customer_group=None, now=NOW)
    with pytest.raises(InvalidInput, match="quantity 0"):
        select_price(rows, currency="USD", quantity=0, customer_group=None, now=NOW)
