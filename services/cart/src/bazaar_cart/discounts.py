"""The platform's only discount evaluator: which promotions a cart earns, and how much each takes.

Pure (no I/O, no clock): the cart calls it with its lines, its event-fed copy of the promotions,
the codes the shopper entered and the time, so a cart's total is one local computation (ADR 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from bazaar_chassis import Money


class Kind(StrEnum):
    PERCENTAGE = "percentage"  # value: percent off the matching lines
    FIXED = "fixed"  # value: Money off the matching lines together
    THRESHOLD = "threshold"  # value (percent or Money) off once the matching total >= threshold
    BUY_X_GET_Y = "buy_x_get_y"  # per line: of every buy+get units, `get` are free


class Stacking(StrEnum):
    STACKABLE = "stackable"
    EXCLUSIVE = "exclusive"  # applies alone: stops all after it, skipped if one applied before


@dataclass(frozen=True, slots=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Money
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    name: str
    kind: Kind
    value: Decimal | Money  # percent 0-100, or an amount
    priority: int = 100  # lower first
    stacking: Stacking = Stacking.STACKABLE
    skus: frozenset[str] = frozenset()  # predicate; both empty = the whole cart
    categories: frozenset[str] = frozenset()
    threshold: Money | None = None
    buy: int = 0
    get: int = 0
    requires_code: bool = False
    codes: frozenset[str] = frozenset()  # the usable codes that unlock it
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    promotion_id: str
    code: str | None
    description: str
    amount: Money


@dataclass
class _Cart:
    """The lines' amounts still payable, lowered by each promotion in turn."""

    lines: Sequence[PricedLine]
    left: list[Decimal] = field(default_factory=list)


def minor_units(amount: Decimal) -> int:
    """Round to whole minor units, half to even (banker's rounding)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def in_window(promotion: Promotion, now: datetime) -> bool:
    starts, ends = promotion.valid_from, promotion.valid_until
    return promotion.active and (starts is None or starts <= now) and (ends is None or now < ends)


def _matches(promotion: Promotion, line: PricedLine) -> bool:
    if not promotion.skus and not promotion.categories:
        return True
    return line.sku in promotion.skus or bool(line.categories & promotion.categories)


def _off(value: Decimal | Money, base: Decimal, currency: str) -> Decimal:
    """How much `value` takes off `base` (before capping): a percentage, or an amount."""
    if isinstance(value, Money):
        return Decimal(value.amount) if value.currency == currency else Decimal(0)
    return base * min(max(value, Decimal(0)), Decimal(100)) / 100


def _spread(total_off: Decimal, matching: list[int], left: list[Decimal]) -> dict[int, Decimal]:
    """Take `total_off` (capped at what is left) from the matching lines, in line order."""
    taken: dict[int, Decimal] = {}
    remaining = Decimal(minor_units(total_off))
    for index in matching:
        share = min(remaining, left[index])
        if share > 0:
            taken[index] = share
            remaining -= share
    return taken


def _discount(
    promotion: Promotion, left: list[Decimal], lines: Sequence[PricedLine], currency: str
) -> dict[int, Decimal]:
    """Per line index, what `promotion` takes off the amounts still payable."""
    matching = [i for i, line in enumerate(lines) if _matches(promotion, line)]
    base = sum((left[i] for i in matching), Decimal(0))
    if not matching or base <= 0:
        return {}
    if promotion.kind == Kind.PERCENTAGE:
        value = promotion.value if isinstance(promotion.value, Decimal) else Decimal(0)
        return {
            i: min(left[i], Decimal(minor_units(_off(value, left[i], currency)))) for i in matching
        }
    if promotion.kind == Kind.FIXED:
        return _spread(_off(promotion.value, base, currency), matching, left)
    if promotion.kind == Kind.THRESHOLD:
        threshold = promotion.threshold
        if threshold is None or threshold.currency != currency or base < threshold.amount:
            return {}
        return _spread(_off(promotion.value, base, currency), matching, left)
    group = promotion.buy + promotion.get
    if promotion.get <= 0 or promotion.buy < 0 or group <= 0:
        return {}
    free = {i: lines[i].quantity // group * promotion.get for i in matching}
    return {
        i: min(left[i], Decimal(minor_units(left[i] * free[i] / lines[i].quantity)))
        for i in matching
        if free[i] > 0
    }


def apply_promotions(
    *, lines: list[PricedLine], promotions: list[Promotion], codes: set[str], now: datetime
) -> list[AppliedDiscount]:
    """The discounts `lines` earn, in the order they apply.

    Promotions apply in priority order (then id), each to the amounts already lowered by those
    before it; one needing a code applies only with one of its codes; an exclusive one applies
    only if nothing applied before it and stops all after it; no line goes below zero.
    """
    if not lines:
        return []
    currency = lines[0].unit_price.currency
    left = [Decimal(line.unit_price.amount * line.quantity) for line in lines]
    applied: list[AppliedDiscount] = []
    for promotion in sorted(promotions, key=lambda p: (p.priority, p.id)):
        if not in_window(promotion, now):
            continue
        code = min(promotion.codes & codes) if promotion.codes & codes else None
        if promotion.requires_code and code is None:
            continue
        if promotion.stacking == Stacking.EXCLUSIVE and applied:
            continue
        taken = _discount(promotion, left, lines, currency)
        amount = sum(taken.values(), Decimal(0))
        if amount <= 0:
            continue
        for index, share in taken.items():
            left[index] -= share
        applied.append(
            AppliedDiscount(
                promotion_id=promotion.id,
                code=code if promotion.requires_code else None,
                description=promotion.name,
                amount=Money(int(amount), currency),
            )
        )
        if promotion.stacking == Stacking.EXCLUSIVE:
            break
    return applied
