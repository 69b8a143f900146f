"""Inventory rules without I/O: quantities, names, availability math, reservation TTLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import InvalidSku, InvalidSkuList, StaleVersion, check_sku, parse_skus
from bazaar_inventory.domain import (
    MAX_QUANTITY,
    InvalidLocation,
    InvalidQuantity,
    InvalidTtl,
    LocationStock,
    Reservation,
    ReservationNotActive,
    ReservationStatus,
    StockBelowReserved,
    StockSummary,
    check_expected_version,
    check_location,
    check_on_hand_covers_reserved,
    check_quantity,
    check_releasable,
    check_reservation_quantity,
    out_of_stock,
    reservation_expiry,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def a_summary(*levels: tuple[str, int, int]) -> StockSummary:
    return StockSummary(
        sku="COF-1",
        version=3,
        locations=tuple(LocationStock(location=n, on_hand=h, reserved=r) for n, h, r in levels),
    )


def a_reservation(status: ReservationStatus) -> Reservation:
    return Reservation(
        id="r1",
        sku="COF-1",
        location="default",
        quantity=2,
        reference="cart-1",
        status=status,
        expires_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("quantity", [0, 1, MAX_QUANTITY])
def test_whole_numbers_from_zero_to_a_billion_are_quantities(quantity: int) -> None:
    assert check_quantity(quantity) == quantity


@pytest.mark.parametrize("quantity", [-1, MAX_QUANTITY + 1, 2.5, 3.0, "3", True, None])
def test_anything_else_is_refused_with_the_bounds_in_the_message(quantity: object) -> None:
    with pytest.raises(InvalidQuantity, match="whole number from 0 to 1000000000"):
        check_quantity(quantity)


def test_a_reservation_holds_at_least_one_unit() -> None:
    assert check_reservation_quantity(1) == 1
    with pytest.raises(InvalidQuantity, match="from 1 to"):
        check_reservation_quantity(0)


@pytest.mark.parametrize("location", ["default", "berlin-1", "0", "a" * 32])
def test_lowercase_locations_up_to_32_characters_are_valid(location: str) -> None:
    assert check_location(location) == location


@pytest.mark.parametrize("location", ["", "Berlin", "-east", "has space", "a" * 33, "dock_2"])
def test_other_location_names_are_refused_with_the_rule(location: str) -> None:
    with pytest.raises(InvalidLocation, match="lowercase letters, digits or '-'"):
        check_location(location)


@pytest.mark.parametrize("sku", ["", "-x", "has space", "x" * 65])
def test_an_invalid_sku_is_refused_with_the_rule(sku: str) -> None:
    with pytest.raises(InvalidSku, match="1-64 letters"):
        check_sku(sku)


def test_availability_is_on_hand_minus_reserved_summed_over_locations() -> None:
    summary = a_summary(("berlin", 10, 4), ("default", 20, 3))
    assert (summary.on_hand, summary.reserved, summary.available) == (30, 7, 23)
    assert summary.best_location_available == 17


def test_a_sku_without_locations_has_nothing_available() -> None:
    summary = a_summary()
    assert (summary.available, summary.best_location_available) == (0, 0)


def test_out_of_stock_says_what_was_asked_and_what_is_available() -> None:
    refusal = out_of_stock(a_summary(("default", 5, 3)), 4)
    assert refusal.status == 409
    assert refusal.detail == "cannot reserve 4 of SKU 'COF-1': only 2 available"


def test_out_of_stock_explains_when_the_total_would_do_but_no_single_location_can() -> None:
    refusal = out_of_stock(a_summary(("a", 3, 0), ("b", 3, 0)), 5)
    assert "at most 3 available in one location (6 in total)" in refusal.detail


@pytest.mark.parametrize("ttl", [1, 900, 86_400])
def test_a_reservation_expires_ttl_seconds_after_it_was_made(ttl: int) -> None:
    assert reservation_expiry(NOW, ttl) == NOW + timedelta(seconds=ttl)


@pytest.mark.parametrize("ttl", [0, -5, 86_401, 1.5, True])
def test_a_ttl_outside_one_second_to_one_day_is_refused(ttl: object) -> None:
    with pytest.raises(InvalidTtl, match="1 to 86400 seconds"):
        reservation_expiry(NOW, ttl)


def test_stock_may_not_be_set_below_what_is_reserved() -> None:
    check_on_hand_covers_reserved(sku="COF-1", location="default", on_hand=3, reserved=3)
    with pytest.raises(StockBelowReserved, match="3 are reserved"):
        check_on_hand_covers_reserved(sku="COF-1", location="default", on_hand=2, reserved=3)


def test_a_stale_version_is_refused_and_no_version_means_no_check() -> None:
    check_expected_version(sku="COF-1", expected=None, actual=7)
    check_expected_version(sku="COF-1", expected=7, actual=7)
    with pytest.raises(StaleVersion, match="version 7"):
        check_expected_version(sku="COF-1", expected=6, actual=7)


def test_only_an_active_reservation_can_be_released() -> None:
    check_releasable(a_reservation(ReservationStatus.ACTIVE))
    for status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
        with pytest.raises(ReservationNotActive, match=f"already {status}"):
            check_releasable(a_reservation(status))


def test_a_sku_list_is_split_on_commas_trimmed_and_deduplicated() -> None:
    assert parse_skus("A, B,,A ,C") == ["A", "B", "C"]


@pytest.mark.parametrize("raw", ["", " , ", ",".join(f"S{i}" for i in range(101))])
def test_a_sku_list_holds_one_to_a_hundred_skus(raw: str) -> None:
    with pytest.raises(InvalidSkuList, match="1 to 100"):
        parse_skus(raw)
