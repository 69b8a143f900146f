"""The cart's event-fed copy of promotions and codes, turned into a priced cart.

Decides which codes a shopper may apply (known, active, in their window, not used up) and builds
the input of the one evaluator, `discounts.apply_promotions`; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bazaar_cart.discounts import (
    AppliedDiscount,
    Kind,
    PricedLine,
    Promotion,
    Stacking,
    apply_promotions,
    in_window,
)
from bazaar_cart.domain import Cart
from bazaar_cart.events import CodeFacts, MoneyFacts, PromotionFacts
from bazaar_chassis import Money

CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class PricedCart:
    cart: Cart
    subtotal: Money
    discounts: list[AppliedDiscount]
    total: Money
    messages: list[str]


def _money(facts: MoneyFacts | None) -> Money | None:
    return Money(facts.amount, facts.currency) if facts else None


def to_promotion(facts: PromotionFacts, codes: frozenset[str]) -> Promotion | None:
    """The evaluator's promotion (None for a kind or stacking this cart does not know)."""
    if facts.kind not in Kind.__members__.values() or facts.stacking not in (
        "stackable",
        "exclusive",
    ):
        return None
    value: Decimal | Money = (
        Money(facts.value.amount, facts.value.currency)
        if isinstance(facts.value, MoneyFacts)
        else Decimal(str(facts.value if facts.value is not None else 100))
    )
    predicate = facts.predicate
    return Promotion(
        id=facts.id,
        name=facts.name or facts.id,
        kind=Kind(facts.kind),
        value=value,
        priority=facts.priority,
        stacking=Stacking(facts.stacking),
        skus=frozenset(predicate.skus) if predicate else frozenset(),
        categories=frozenset(predicate.categories) if predicate else frozenset(),
        threshold=_money(facts.threshold),
        buy=facts.buy or 0,
        get=facts.get or 0,
        requires_code=facts.requires_code,
        codes=codes,
        valid_from=facts.valid_from,
        valid_until=facts.valid_until,
        active=facts.active,
    )


def code_refusal(code: CodeFacts, promotion: PromotionFacts | None, *, now: datetime) -> str | None:
    """Why `code` cannot be used right now, or None if it can."""
    if not code.active:
        return "is no longer active"
    if code.valid_from is not None and now < code.valid_from:
        return f"is not valid before {code.valid_from.isoformat()}"
    if code.valid_until is not None and now >= code.valid_until:
        return f"expired at {code.valid_until.isoformat()}"
    if code.usage_limit is not None and code.uses >= code.usage_limit:
        return f"has been used up ({code.uses} of {code.usage_limit} uses)"
    if promotion is None:
        return "belongs to a promotion this cart does not know"
    running = to_promotion(promotion, frozenset())
    if running is None or not in_window(running, now):
        return "belongs to a promotion that is not running"
    return None


def price(
    cart: Cart,
    *,
    promotions: list[PromotionFacts],
    codes: list[CodeFacts],
    now: datetime,
) -> PricedCart:
    """Subtotal, the discounts the cart earns, its total, and a message for each idle code."""
    by_id = {p.id: p for p in promotions}
    known = {c.code: c for c in codes}
    refusals = {
        code: code_refusal(known[code], by_id.get(known[code].promotion_id), now=now)
        if code in known
        else "is not known"
        for code in cart.codes
    }
    usable: dict[str, set[str]] = {}
    for code in cart.codes:
        if refusals[code] is None:
            usable.setdefault(known[code].promotion_id, set()).add(code)
    evaluated = [
        found
        for facts in promotions
        if (found := to_promotion(facts, frozenset(usable.get(facts.id, ())))) is not None
    ]
    lines = [
        PricedLine(line.sku, line.quantity, line.unit_price, frozenset(line.categories))
        for line in cart.lines
    ]
    applied = apply_promotions(lines=lines, promotions=evaluated, codes=set(cart.codes), now=now)
    currency = cart.lines[0].unit_price.currency if cart.lines else CURRENCY
    subtotal = sum(line.total.amount for line in cart.lines)
    off = sum(d.amount.amount for d in applied)
    used = {d.code for d in applied}
    messages = [
        f"discount code {code} {reason}"
        if reason
        else f"discount code {code} does not apply to this cart's items yet"
        for code, reason in refusals.items()
        if reason or code not in used
    ]
    return PricedCart(
        cart=cart,
        subtotal=Money(subtotal, currency),
        discounts=applied,
        total=Money(max(subtotal - off, 0), currency),
        messages=messages,
    )
