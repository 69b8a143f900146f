"""The discount evaluator, rule by rule: one table row per rule, each with the expected discounts.

Amounts are minor units (USD cents); every row names what it proves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bazaar_cart.discounts import (
    Kind,
    PricedLine,
    Promotion,
    Stacking,
    apply_promotions,
    minor_units,
)
from bazaar_chassis import Money

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def line(sku: str, unit: int, quantity: int = 1, *categories: str) -> PricedLine:
    return PricedLine(sku, quantity, usd(unit), frozenset(categories))


def pct(id: str, percent: str, **rest: Any) -> Promotion:
    return Promotion(
        id=id, name=f"{id} {percent}%", kind=Kind.PERCENTAGE, value=Decimal(percent), **rest
    )


def fixed(id: str, amount: int, **rest: Any) -> Promotion:
    return Promotion(id=id, name=f"{id} -{amount}", kind=Kind.FIXED, value=usd(amount), **rest)


@dataclass(frozen=True)
class Case:
    lines: list[PricedLine]
    promotions: list[Promotion]
    expected: list[tuple[str, int]]  # (promotion id, amount) in the order they apply
    codes: set[str] = field(default_factory=set)


CASES = {
    "a percentage applies to every line of a whole-cart promotion": Case(
        [line("A", 1000, 2), line("B", 500)], [pct("p", "10")], [("p", 250)]
    ),
    "a percentage with a SKU predicate applies only to that SKU": Case(
        [line("A", 1000), line("B", 500)], [pct("p", "50", skus=frozenset({"B"}))], [("p", 250)]
    ),
    "a percentage with a category predicate applies to lines in that category": Case(
        [line("A", 1000, 1, "tea"), line("B", 500, 1, "coffee", "gifts")],
        [pct("p", "20", categories=frozenset({"gifts"}))],
        [("p", 100)],
    ),
    "a predicate no line matches gives nothing": Case(
        [line("A", 1000)], [pct("p", "20", skus=frozenset({"Z"}))], []
    ),
    "a fixed amount comes off the matching lines together": Case(
        [line("A", 300), line("B", 500)], [fixed("f", 400)], [("f", 400)]
    ),
    "a fixed amount never takes the cart below zero": Case(
        [line("A", 300)], [fixed("f", 1000)], [("f", 300)]
    ),
    "a fixed amount in another currency gives nothing": Case(
        [line("A", 300)],
        [Promotion(id="f", name="eur", kind=Kind.FIXED, value=Money(100, "EUR"))],
        [],
    ),
    "a threshold promotion applies once the total reaches the threshold": Case(
        [line("A", 5000)],
        [Promotion(id="t", name="t", kind=Kind.THRESHOLD, value=usd(500), threshold=usd(5000))],
        [("t", 500)],
    ),
    "a threshold promotion below its threshold gives nothing": Case(
        [line("A", 4999)],
        [Promotion(id="t", name="t", kind=Kind.THRESHOLD, value=usd(500), threshold=usd(5000))],
        [],
    ),
    "a threshold is compared with the already-discounted total": Case(
        [line("A", 5000)],
        [
            pct("first", "10", priority=1),
            Promotion(
                id="t",
                name="t",
                kind=Kind.THRESHOLD,
                value=Decimal(10),
                threshold=usd(5000),
                priority=2,
            ),
        ],
        [("first", 500)],
    ),
    "buy two get one free makes one of every three units free": Case(
        [line("A", 300, 7)],
        [
            Promotion(
                id="b", name="3 for 2", kind=Kind.BUY_X_GET_Y, value=Decimal(100), buy=2, get=1
            )
        ],
        [("b", 600)],
    ),
    "buy two get one with only two units gives nothing": Case(
        [line("A", 300, 2)],
        [
            Promotion(
                id="b", name="3 for 2", kind=Kind.BUY_X_GET_Y, value=Decimal(100), buy=2, get=1
            )
        ],
        [],
    ),
    "promotions apply in priority order, each to the already-discounted amount": Case(
        [line("A", 1000)],
        [pct("second", "50", priority=2), fixed("first", 200, priority=1)],
        [("first", 200), ("second", 400)],
    ),
    "an exclusive promotion that applies first stops all after it": Case(
        [line("A", 1000)],
        [pct("x", "10", priority=1, stacking=Stacking.EXCLUSIVE), pct("s", "10", priority=2)],
        [("x", 100)],
    ),
    "an exclusive promotion is skipped when a stackable one already applied": Case(
        [line("A", 1000)],
        [pct("s", "10", priority=1), pct("x", "30", priority=2, stacking=Stacking.EXCLUSIVE)],
        [("s", 100)],
    ),
    "an exclusive promotion that does not apply stops nothing": Case(
        [line("A", 1000)],
        [
            pct("x", "30", priority=1, stacking=Stacking.EXCLUSIVE, skus=frozenset({"Z"})),
            pct("s", "10", priority=2),
        ],
        [("s", 100)],
    ),
    "a promotion that needs a code does nothing without it": Case(
        [line("A", 1000)], [pct("c", "10", requires_code=True, codes=frozenset({"SAVE"}))], []
    ),
    "a promotion that needs a code applies with it, and names it": Case(
        [line("A", 1000)],
        [pct("c", "10", requires_code=True, codes=frozenset({"SAVE"}))],
        [("c", 100)],
        {"SAVE"},
    ),
    "a promotion before its window does nothing": Case(
        [line("A", 1000)], [pct("w", "10", valid_from=NOW + HOUR)], []
    ),
    "a promotion at the end of its window does nothing": Case(
        [line("A", 1000)], [pct("w", "10", valid_until=NOW)], []
    ),
    "a promotion inside its window applies": Case(
        [line("A", 1000)],
        [pct("w", "10", valid_from=NOW - HOUR, valid_until=NOW + HOUR)],
        [("w", 100)],
    ),
    "an inactive promotion does nothing": Case(
        [line("A", 1000)], [pct("i", "10", active=False)], []
    ),
    "stacked discounts never take a line below zero": Case(
        [line("A", 1000)],
        [fixed("a", 800, priority=1), fixed("b", 800, priority=2), pct("c", "50", priority=3)],
        [("a", 800), ("b", 200)],
    ),
    "a percentage rounds half to even per line": Case(
        [line("A", 5), line("B", 15)],
        [pct("r", "50")],
        [("r", 10)],  # 2.5 -> 2, 7.5 -> 8
    ),
    "an empty cart earns nothing": Case([], [pct("p", "10")], []),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_rule_gives_the_discounts_of_its_table_row(case: Case) -> None:
    applied = apply_promotions(
        lines=case.lines, promotions=case.promotions, codes=case.codes, now=NOW
    )
    assert [(d.promotion_id, d.amount.amount) for d in applied] == case.expected
    assert all(d.amount.currency == "USD" for d in applied)


def test_a_code_promotion_names_its_code_and_others_name_none() -> None:
    applied = apply_promotions(
        lines=[line("A", 1000)],
        promotions=[
            pct("c", "10", requires_code=True, codes=frozenset({"SAVE"}), priority=1),
            pct("p", "10", priority=2),
        ],
        codes={"SAVE", "OTHER"},
        now=NOW,
    )
    assert [(d.promotion_id, d.code, d.description) for d in applied] == [
        ("c", "SAVE", "c 10%"),
        ("p", None, "p 10%"),
    ]


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("2.5", 2), ("3.5", 4), ("-0.5", 0), ("7.49", 7), ("7.51", 8)],
)
def test_minor_units_round_half_to_even(amount: str, rounded: int) -> None:
    assert minor_units(Decimal(amount)) == rounded
