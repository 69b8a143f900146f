"""Promotions, discount codes and the rules that make them valid and redeemable. No I/O here.

The promotion service records what marketing decided and counts code usage; it never computes a
cart's total (the cart does, from the events this service publishes: ADR 6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bazaar_chassis import Caller, Conflict, Forbidden, InvalidInput, Money, NotFound, StaleVersion

OPERATOR_ORGANIZATION = "bazaar"
WRITER_ROLES = frozenset({"admin", "marketing", "merchandiser"})
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
# The same rule for what a client sends: any case, blanks around it (`normalize_code`).
CODE_SCHEMA_PATTERN = r"^\s*[A-Za-z0-9][A-Za-z0-9_-]{2,31}\s*$"
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = 10**11  # minor units, as pricing allows
PREDICATE_KEYS = ("skus", "categories")


class Kind(StrEnum):
    PERCENTAGE = "percentage"  # value: percent off the matching lines
    FIXED = "fixed"  # value: Money off the matching lines together
    THRESHOLD = "threshold"  # value (percent or Money) off once the total reaches `threshold`
    BUY_X_GET_Y = "buy_x_get_y"  # of every buy+get matching units, `get` are free (no value)


class Stacking(StrEnum):
    STACKABLE = "stackable"
    EXCLUSIVE = "exclusive"


Value = float | Money | None
Predicate = dict[str, list[str]]


# --- errors: each detail names the offending value, because a person reads it ---


class InvalidPromotion(InvalidInput):
    """A promotion or code that can never make sense."""


class PromotionNotFound(NotFound):
    def __init__(self, promotion_id: str) -> None:
        super().__init__(f"no promotion with id {promotion_id!r}")


class CodeNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"no discount code {code!r}")


class DuplicateCode(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"discount code {code!r} already exists")


class NotPromotionStaff(Forbidden):
    def __init__(self, caller: Caller, action: str) -> None:
        super().__init__(
            f"{caller.subject} may not {action}: that needs the role marketing, merchandiser or "
            f"admin in organization {OPERATOR_ORGANIZATION!r}"
        )


# --- who may do what (checked here too: services do not trust the gateway alone) ---


def is_staff(caller: Caller) -> bool:
    return caller.organization == OPERATOR_ORGANIZATION and bool(WRITER_ROLES & set(caller.roles))


def check_may_manage(caller: Caller, action: str) -> None:
    if not is_staff(caller):
        raise NotPromotionStaff(caller, action)


def may_see_everything(caller: Caller) -> bool:
    """Staff and services see inactive promotions and codes; shoppers see what is on offer."""
    return is_staff(caller) or (
        caller.kind == "service" and caller.organization == OPERATOR_ORGANIZATION
    )


# --- entities ---


@dataclass(frozen=True, slots=True)
class Offered:
    """What a promotion and a discount code both have: a validity window, an on/off switch and
    a version. (Its fields come first in both API answers.)"""

    valid_from: datetime
    valid_until: datetime | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Promotion(Offered):
    id: str
    name: str
    kind: Kind
    value: Value
    predicate: Predicate | None
    threshold: Money | None
    buy: int | None
    get: int | None
    priority: int
    stacking: Stacking
    requires_code: bool

    def on_offer(self, now: datetime) -> bool:
        return self.active and within(self.valid_from, self.valid_until, now)


@dataclass(frozen=True, slots=True)
class Code(Offered):
    code: str
    promotion_id: str
    usage_limit: int | None  # None: unlimited
    uses: int


@dataclass(frozen=True, slots=True)
class Terms:
    """What marketing decides about a promotion: everything but its identity and history."""

    name: str
    kind: Kind
    value: Value = None
    predicate: Predicate | None = None
    threshold: Money | None = None
    buy: int | None = None
    get: int | None = None
    priority: int = 100  # lower applies first
    stacking: Stacking = Stacking.STACKABLE
    requires_code: bool = False
    valid_from: datetime | None = None  # None: from now
    valid_until: datetime | None = None  # None: no end
    active: bool = True


TERM_FIELDS = frozenset(f.name for f in fields(Terms))
NULLABLE_NEVER = frozenset(
    {"name", "kind", "priority", "stacking", "requires_code", "valid_from", "active"}
)


def new_promotion(*, id: str, terms: Terms, now: datetime) -> Promotion:
    given = {f.name: getattr(terms, f.name) for f in fields(terms)}
    return checked(
        Promotion(
            id=id,
            **{**given, "valid_from": terms.valid_from or now},
            version=1,
            created_at=now,
            updated_at=now,
        )
    )


def within(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return valid_from <= now and (valid_until is None or now < valid_until)


# --- validation ---


def check_money(money: Money, what: str, *, positive: bool) -> Money:
    if not CURRENCY_PATTERN.match(money.currency):
        raise InvalidPromotion(
            f"{what} currency {money.currency!r} is not an ISO 4217 code (three capitals, "
            "e.g. 'USD')"
        )
    low = 1 if positive else 0
    if not low <= money.amount <= MAX_AMOUNT:
        raise InvalidPromotion(
            f"{what} amount {money.amount} is out of range: {low} to {MAX_AMOUNT} minor units "
            "(an integer, e.g. 500 for 5.00 USD)"
        )
    return money


def check_percent(value: float) -> float:
    if not 0 < value <= 100:
        raise InvalidPromotion(f"percent {value} is out of range: more than 0, at most 100")
    return value


def check_window(valid_from: datetime, valid_until: datetime | None, what: str) -> None:
    if valid_from.tzinfo is None or (valid_until is not None and valid_until.tzinfo is None):
        raise InvalidPromotion(f"{what} validity needs times with a time zone (e.g. ...Z)")
    if valid_until is not None and not valid_from < valid_until:
        raise InvalidPromotion(
            f"{what} valid_from {valid_from.isoformat()} must be before valid_until "
            f"{valid_until.isoformat()}"
        )


def check_predicate(predicate: Predicate | None) -> Predicate | None:
    if not predicate:
        return None
    given = {k: v for k, v in predicate.items() if v}
    unknown = sorted(set(predicate) - set(PREDICATE_KEYS))
    if unknown or len(given) != 1:
        raise InvalidPromotion(
            "predicate is {'skus': [...]} or {'categories': [...]} (one of them, not empty), "
            f"or null for the whole cart; got keys {sorted(predicate)}"
        )
    [(key, names)] = given.items()
    return {key: list(dict.fromkeys(names))}


def _check_value(kind: Kind, value: Value) -> Value:
    if kind == Kind.BUY_X_GET_Y:
        if value is not None:
            raise InvalidPromotion("a buy_x_get_y promotion has no value: its `get` units are free")
        return None
    if value is None:
        raise InvalidPromotion(f"a {kind} promotion needs a value")
    if kind == Kind.PERCENTAGE and isinstance(value, Money):
        raise InvalidPromotion("a percentage promotion's value is a percent, not Money")
    if kind == Kind.FIXED and not isinstance(value, Money):
        raise InvalidPromotion("a fixed promotion's value is Money {amount, currency}")
    if isinstance(value, Money):
        return check_money(value, "value", positive=True)
    return check_percent(value)


def checked(promotion: Promotion) -> Promotion:
    """`promotion` if every field fits its kind, else `InvalidPromotion` saying which does not."""
    if not promotion.name.strip():
        raise InvalidPromotion("a promotion needs a name")
    kind = promotion.kind
    value = _check_value(kind, promotion.value)
    threshold = promotion.threshold
    if kind == Kind.THRESHOLD:
        if threshold is None:
            raise InvalidPromotion("a threshold promotion needs threshold Money {amount, currency}")
        check_money(threshold, "threshold", positive=True)
    elif threshold is not None:
        raise InvalidPromotion(f"only a threshold promotion has a threshold, not a {kind} one")
    buy, get = promotion.buy, promotion.get
    if kind == Kind.BUY_X_GET_Y:
        if buy is None or get is None or buy < 1 or get < 1:
            raise InvalidPromotion(f"buy_x_get_y needs buy >= 1 and get >= 1 (got {buy}, {get})")
    elif buy is not None or get is not None:
        raise InvalidPromotion(f"only a buy_x_get_y promotion has buy and get, not a {kind} one")
    check_window(promotion.valid_from, promotion.valid_until, "promotion")
    return replace(promotion, value=value, predicate=check_predicate(promotion.predicate))


def revise(
    promotion: Promotion, *, expected_version: int, changes: Mapping[str, Any], now: datetime
) -> Promotion:
    """Apply a partial change of terms made by someone who last saw `expected_version`."""
    if expected_version != promotion.version:
        raise StaleVersion(
            resource=f"promotion {promotion.id}",
            expected=expected_version,
            actual=promotion.version,
        )
    unknown = sorted(set(changes) - TERM_FIELDS)
    if unknown:
        raise InvalidPromotion(f"{unknown} cannot be changed; the terms are {sorted(TERM_FIELDS)}")
    nulled = sorted(k for k in NULLABLE_NEVER & set(changes) if changes[k] is None)
    if nulled:
        raise InvalidPromotion(f"{nulled} cannot be null")
    revised = replace(promotion, **changes, version=promotion.version + 1, updated_at=now)
    return checked(revised)


def normalize_code(code: str) -> str:
    """Codes are case-insensitive: `welcome10` is `WELCOME10`."""
    return code.strip().upper()


def new_code(
    *,
    code: str,
    promotion: Promotion,
    usage_limit: int | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    now: datetime,
) -> Code:
    name = normalize_code(code)
    if not CODE_PATTERN.match(name):
        raise InvalidPromotion(
            f"code {code!r} is invalid: use 3-32 letters, digits, '_' or '-', starting with a "
            "letter or digit (codes are case-insensitive)"
        )
    if usage_limit is not None and usage_limit < 1:
        raise InvalidPromotion(f"usage_limit {usage_limit} must be at least 1 (or null: no limit)")
    starts = valid_from or promotion.valid_from
    ends = valid_until if valid_until is not None else promotion.valid_until
    check_window(starts, ends, f"code {name}")
    return Code(
        code=name,
        promotion_id=promotion.id,
        usage_limit=usage_limit,
        uses=0,
        valid_from=starts,
        valid_until=ends,
        active=True,
        version=1,
        created_at=now,
        updated_at=now,
    )


# --- redemption: the store applies this rule in one conditional UPDATE; here it is in words ---


def refusal(code: Code | None, promotion: Promotion | None, now: datetime) -> str | None:
    """Why `code` cannot be redeemed now (None: it can). Says what a shopper would need to know."""
    if code is None or promotion is None:
        return "unknown code"
    if not code.active or not promotion.active:
        return "code is no longer active"
    if now < code.valid_from or now < promotion.valid_from:
        return f"code is not valid before {max(code.valid_from, promotion.valid_from).isoformat()}"
    ends = [t for t in (code.valid_until, promotion.valid_until) if t is not None]
    if ends and now >= min(ends):
        return f"code expired at {min(ends).isoformat()}"
    if code.usage_limit is not None and code.uses >= code.usage_limit:
        return f"usage limit reached ({code.usage_limit} uses)"
    return None


def used(code: Code, *, delta: int, now: datetime) -> Code:
    """The code after `delta` more (or, negative, fewer) uses."""
    return replace(code, uses=max(code.uses + delta, 0), version=code.version + 1, updated_at=now)
