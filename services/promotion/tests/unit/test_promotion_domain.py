"""The promotion rules without I/O: which terms fit which kind, codes, refusals, who may write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bazaar_chassis import Caller, Money, StaleVersion
from bazaar_promotion import domain
from bazaar_promotion.domain import InvalidPromotion, Kind, Promotion, Stacking, Terms

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
USD5 = Money(500, "USD")


def make(**terms: Any) -> Promotion:
    given: dict[str, Any] = {"name": "Spring", "kind": Kind.PERCENTAGE, "value": 10.0, **terms}
    return domain.new_promotion(id="p1", terms=Terms(**given), now=NOW)


def caller(*roles: str, organization: str = "bazaar", kind: str = "user") -> Caller:
    return Caller(subject="someone", kind=kind, organization=organization, roles=roles)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "terms",
    [
        {"kind": Kind.PERCENTAGE, "value": 100.0, "predicate": {"skus": ["COF-1"]}},
        {"kind": Kind.FIXED, "value": USD5, "predicate": {"categories": ["coffee"]}},
        {"kind": Kind.THRESHOLD, "value": 5.0, "threshold": Money(5000, "USD")},
        {"kind": Kind.THRESHOLD, "value": USD5, "threshold": Money(5000, "USD")},
        {"kind": Kind.BUY_X_GET_Y, "value": None, "buy": 2, "get": 1},
    ],
)
def test_each_kind_accepts_the_terms_that_fit_it(terms: dict[str, Any]) -> None:
    promotion = make(**terms)
    assert (promotion.version, promotion.valid_from, promotion.stacking) == (
        1,
        NOW,
        Stacking.STACKABLE,
    )


@pytest.mark.parametrize(
    ("terms", "fragment"),
    [
        ({"value": 0.0}, "percent 0.0 is out of range"),
        ({"value": 100.5}, "percent 100.5 is out of range"),
        ({"value": None}, "needs a value"),
        ({"value": USD5}, "is a percent, not Money"),
        ({"kind": Kind.FIXED, "value": 10.0}, "value is Money"),
        ({"kind": Kind.FIXED, "value": Money(500, "usd")}, "currency 'usd'"),
        ({"kind": Kind.FIXED, "value": Money(0, "USD")}, "amount 0 is out of range"),
        ({"kind": Kind.THRESHOLD, "value": 5.0}, "needs threshold Money"),
        ({"threshold": USD5}, "only a threshold promotion"),
        ({"kind": Kind.BUY_X_GET_Y, "value": None, "buy": 0, "get": 1}, "buy >= 1 and get >= 1"),
        ({"kind": Kind.BUY_X_GET_Y, "value": None, "buy": 2}, "buy >= 1 and get >= 1"),
        ({"kind": Kind.BUY_X_GET_Y, "buy": 2, "get": 1}, "has no value"),
        ({"buy": 1, "get": 1}, "only a buy_x_get_y"),
        ({"valid_until": NOW}, "must be before valid_until"),
        ({"valid_until": NOW - timedelta(days=1)}, "must be before valid_until"),
        ({"predicate": {"skus": ["A"], "categories": ["c"]}}, "one of them"),
        ({"predicate": {"brands": ["x"]}}, "got keys ['brands']"),
        ({"name": "  "}, "needs a name"),
    ],
)
def test_terms_that_cannot_make_sense_are_refused_with_the_rule_they_break(
    terms: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidPromotion, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        make(**terms)


def test_no_predicate_is_the_whole_cart_but_an_empty_list_is_a_mistake() -> None:
    assert make(predicate={}).predicate is None
    with pytest.raises(InvalidPromotion, match="not empty"):
        make(predicate={"skus": []})
    assert make(predicate={"skus": ["A", "B", "A"]}).predicate == {"skus": ["A", "B"]}


def test_revising_needs_the_current_version_and_rechecks_the_terms() -> None:
    promotion = make()
    later = NOW + timedelta(hours=1)
    revised = domain.revise(promotion, expected_version=1, changes={"value": 20.0}, now=later)
    assert (revised.value, revised.version, revised.updated_at) == (20.0, 2, later)
    with pytest.raises(StaleVersion, match="version 2"):
        domain.revise(revised, expected_version=1, changes={"active": False}, now=later)
    with pytest.raises(InvalidPromotion, match="percent 150"):
        domain.revise(revised, expected_version=2, changes={"value": 150.0}, now=later)
    with pytest.raises(InvalidPromotion, match="cannot be null"):
        domain.revise(revised, expected_version=2, changes={"name": None}, now=later)
    with pytest.raises(InvalidPromotion, match="cannot be changed"):
        domain.revise(revised, expected_version=2, changes={"uses": 3}, now=later)


def test_a_code_is_upper_case_and_takes_its_window_from_the_promotion_by_default() -> None:
    promotion = make(valid_until=NOW + timedelta(days=30))
    code = domain.new_code(
        code="welcome10",
        promotion=promotion,
        usage_limit=3,
        valid_from=None,
        valid_until=None,
        now=NOW,
    )
    assert (code.code, code.uses, code.valid_from, code.valid_until) == (
        "WELCOME10",
        0,
        NOW,
        NOW + timedelta(days=30),
    )


@pytest.mark.parametrize(
    ("code", "limit", "until", "fragment"),
    [
        ("no spaces", 1, None, "is invalid"),
        ("AB", 1, None, "is invalid"),
        ("X" * 33, 1, None, "is invalid"),
        ("OK10", 0, None, "usage_limit 0 must be at least 1"),
        ("OK10", 1, NOW - timedelta(seconds=1), "must be before valid_until"),
    ],
)
def test_bad_codes_are_refused(
    code: str, limit: int, until: datetime | None, fragment: str
) -> None:
    with pytest.raises(InvalidPromotion, match=fragment):
        domain.new_code(
            code=code,
            promotion=make(),
            usage_limit=limit,
            valid_from=None,
            valid_until=until,
            now=NOW,
        )


def test_refusal_names_the_first_reason_a_code_cannot_be_used() -> None:
    promotion = make(valid_until=NOW + timedelta(days=1))
    code = domain.new_code(
        code="SAVE", promotion=promotion, usage_limit=2, valid_from=None, valid_until=None, now=NOW
    )
    assert domain.refusal(code, promotion, NOW) is None
    assert domain.refusal(None, None, NOW) == "unknown code"
    assert domain.refusal(code, replace(promotion, active=False), NOW) == (
        "code is no longer active"
    )
    assert "not valid before" in str(domain.refusal(code, promotion, NOW - timedelta(hours=1)))
    assert "expired at" in str(domain.refusal(code, promotion, NOW + timedelta(days=2)))
    used_up = domain.used(domain.used(code, delta=1, now=NOW), delta=1, now=NOW)
    assert (used_up.uses, used_up.version) == (2, 3)
    assert domain.refusal(used_up, promotion, NOW) == "usage limit reached (2 uses)"
    unlimited = replace(used_up, usage_limit=None, uses=10**6)
    assert domain.refusal(unlimited, promotion, NOW) is None
    assert domain.used(code, delta=-1, now=NOW).uses == 0


@pytest.mark.parametrize(
    ("who", "may_write", "sees_all"),
    [
        (caller("marketing"), True, True),
        (caller("merchandiser"), True, True),
        (caller("admin"), True, True),
        (caller("marketing", organization="acme"), False, False),
        (caller("customer", organization="public"), False, False),
        (caller("guest", organization="public", kind="guest"), False, False),
        (caller("service:cart", kind="service"), False, True),
    ],
)
def test_only_operator_staff_may_write_and_staff_and_services_see_everything(
    who: Caller, may_write: bool, sees_all: bool
) -> None:
    assert domain.is_staff(who) is may_write
    assert domain.may_see_everything(who) is sees_all
    if not may_write:
        with pytest.raises(domain.NotPromotionStaff, match="create promotions"):
            domain.check_may_manage(who, "create promotions")
