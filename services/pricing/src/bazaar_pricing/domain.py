"""Prices and the rules that pick one. No I/O here.

A SKU owns a small *price list*: rows of (currency, amount, min_quantity, customer_group,
valid_from, valid_until). The list as a whole carries one `version` (optimistic concurrency and
event `sequence`), because v2 writes and announces the whole list at once and v1 edits one row of
it: versioning rows separately would let the two majors interleave into a list nobody wrote.

The *base price* in a currency is the row that applies to everybody, always, from one unit up:
min_quantity 1, no customer group, no validity window. API v1 reads and writes only base prices;
`select_price` is the full rule (tiers, groups, windows) that v2 and the cart use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise

from bazaar_chassis import InvalidInput, NotFound, StaleVersion

CUSTOMER_GROUP_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # whole: `fullmatch`
MAX_AMOUNT = 10**11  # minor units: a billion dollars, and far inside a 64-bit integer
MAX_QUANTITY = 10**9  # units, as inventory holds at most; `prices.min_quantity` is a 32-bit integer
MAX_ROWS = 200  # per SKU: every currency, tier, group and campaign a v2 client may set at once
DEFAULT_CURRENCY = "USD"

# Active ISO 4217 currencies grouped by minor-unit exponent (ISO 4217 amendment 179 and later).
# Left out on purpose: fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals,
# SDR and the test codes (XAU, XDR, XTS, XXX, ...), since nobody prices goods in them; withdrawn
# codes (HRK, SLL, ZWL, ANG, CUC) and BGN, withdrawn when Bulgaria adopted the euro (2026-01-01).
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_2 = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN
    QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP
    TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
"""
MINOR_UNITS: Mapping[str, int] = {
    **dict.fromkeys(_EXPONENT_2.split(), 2),
    **dict.fromkeys(_EXPONENT_0.split(), 0),
    **dict.fromkeys(_EXPONENT_3.split(), 3),
}
"""How many digits an amount has after the decimal point: 1299 USD is 12.99, 1299 JPY is ¥1299."""

ACTIVE_CURRENCIES: frozenset[str] = frozenset(MINOR_UNITS)


# --- errors: each detail names the offending value, because a client shows it to a person ---


class UnknownCurrency(InvalidInput):
    def __init__(self, currency: str) -> None:
        hint = ""
        if currency.upper() in ACTIVE_CURRENCIES:
            hint = f"; codes are upper case: use {currency.upper()!r}"
        super().__init__(f"currency {currency!r} is not an active ISO 4217 currency code{hint}")


class AmountOutOfRange(InvalidInput):
    def __init__(self, amount: int) -> None:
        super().__init__(
            f"amount {amount} is out of range: a price is 0 to {MAX_AMOUNT} minor units "
            "(an integer, e.g. 1299 for 12.99 USD)"
        )


class InvalidPriceRow(InvalidInput):
    """A tier, group or validity window that can never make sense (v2 input)."""


class PriceNotFound(NotFound):
    def __init__(
        self, sku: str, currency: str | None = None, available: Iterable[str] = ()
    ) -> None:
        if currency is None:
            super().__init__(f"SKU {sku!r} has no base price")
            return
        others = ", ".join(available) or "none"
        super().__init__(f"SKU {sku!r} has no base price in {currency} (it has: {others})")


class PriceListNotFound(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"SKU {sku!r} has never had a price; PUT its prices first")


class NoApplicablePrice(NotFound):
    def __init__(
        self, *, sku: str, currency: str, quantity: int, customer_group: str | None
    ) -> None:
        who = f"group {customer_group!r}" if customer_group else "a buyer without a group"
        super().__init__(
            f"SKU {sku!r} has no price in {currency} for {quantity} unit(s) bought by {who} now"
        )


class CurrencyRequired(InvalidInput):
    def __init__(self, sku: str, available: Iterable[str]) -> None:
        super().__init__(
            f"SKU {sku!r} has base prices in {', '.join(available)} and none in "
            f"{DEFAULT_CURRENCY}: say which with ?currency="
        )


# --- validation of single values ---


def check_currency(currency: str) -> str:
    if currency not in ACTIVE_CURRENCIES:
        raise UnknownCurrency(currency)
    return currency


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(f"amount {amount!r} must be an integer number of minor units")
    if not 0 <= amount <= MAX_AMOUNT:
        raise AmountOutOfRange(amount)
    return amount


# --- entities ---


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One price of a SKU; build it with `price_row`, which checks every rule."""

    currency: str
    amount: int
    min_quantity: int = 1
    customer_group: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def is_base(self) -> bool:
        return (
            self.min_quantity == 1
            and self.customer_group is None
            and self.valid_from is None
            and self.valid_until is None
        )

    def applies(self, *, quantity: int, customer_group: str | None, now: datetime) -> bool:
        """True when this row may price `quantity` units for that customer at `now`."""
        return (
            self.min_quantity <= quantity
            and (self.customer_group is None or self.customer_group == customer_group)
            and (self.valid_from is None or self.valid_from <= now)
            and (self.valid_until is None or now < self.valid_until)
        )

    @property
    def sort_key(self) -> tuple[str, str, int, datetime, datetime]:
        """A stable order for listings and events: currency, group, tier, window."""
        return (
            self.currency,
            self.customer_group or "",
            self.min_quantity,
            self.valid_from or _DAWN,
            self.valid_until or _DUSK,
        )


_DAWN = datetime.min.replace(tzinfo=UTC)
_DUSK = datetime.max.replace(tzinfo=UTC)


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidPriceRow(f"{name} {moment.isoformat()} needs a time zone, e.g. ...Z")
    return moment.astimezone(UTC)


def price_row(
    *,
    currency: str,
    amount: int,
    min_quantity: int = 1,
    customer_group: str | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> PriceRow:
    """A checked price row: known currency, amount in range, sane tier, group and window."""
    if (
        isinstance(min_quantity, bool)
        or not isinstance(min_quantity, int)
        or not 1 <= min_quantity <= MAX_QUANTITY
    ):
        raise InvalidPriceRow(
            f"min_quantity {min_quantity!r} must be an integer from 1 to {MAX_QUANTITY}"
        )
    if customer_group is not None and not CUSTOMER_GROUP_PATTERN.fullmatch(customer_group):
        raise InvalidPriceRow(
            f"customer_group {customer_group!r} is invalid: use 1-64 lower-case letters, digits, "
            "'.', '_' or '-'"
        )
    start, end = _aware(valid_from, "valid_from"), _aware(valid_until, "valid_until")
    if start is not None and end is not None and start >= end:
        raise InvalidPriceRow(
            f"valid_from {start.isoformat()} must be before valid_until {end.isoformat()}"
        )
    return PriceRow(
        currency=check_currency(currency),
        amount=check_amount(amount),
        min_quantity=min_quantity,
        customer_group=customer_group,
        valid_from=start,
        valid_until=end,
    )


@dataclass(frozen=True, slots=True)
class PriceList:
    """Every price of one SKU at one version. Version 0 = the SKU has never had a price."""

    sku: str
    version: int = 0
    updated_at: datetime | None = None
    rows: tuple[PriceRow, ...] = ()

    @property
    def base_prices(self) -> list[PriceRow]:
        """The base price in each currency, sorted by currency."""
        return sorted((r for r in self.rows if r.is_base), key=lambda r: r.currency)

    def base_price(self, currency: str) -> PriceRow | None:
        return next((r for r in self.rows if r.is_base and r.currency == currency), None)


def check_version(prices: PriceList, expected: int | None) -> None:
    """Refuse a write based on a version that is not the current one (None = don't check)."""
    if expected is not None and expected != prices.version:
        raise StaleVersion(
            resource=f"the price list of SKU {prices.sku!r}",
            expected=expected,
            actual=prices.version,
        )


def set_base_price(
    prices: PriceList, *, amount: int, currency: str, expected_version: int | None, now: datetime
) -> PriceList:
    """Create or replace the base price in `currency`; every other row stays as it was.

    The version goes up by one for a real change. Setting the amount it already has is not a
    change: the same list comes back, so a retried PUT neither bumps the version nor re-announces.
    """
    new_row = price_row(currency=currency, amount=amount)  # bad input is 422 before 409
    check_version(prices, expected_version)
    if prices.base_price(currency) == new_row:
        return prices
    kept = tuple(r for r in prices.rows if not (r.is_base and r.currency == currency))
    rows = tuple(sorted((*kept, new_row), key=lambda r: r.sort_key))
    return replace(prices, version=prices.version + 1, updated_at=now, rows=rows)


def replace_rows(
    prices: PriceList, *, rows: Sequence[PriceRow], expected_version: int | None, now: datetime
) -> PriceList:
    """v2's write: the SKU's prices become exactly `rows` (an empty list removes them all).

    Two rows for the same currency, group, tier and window would make the choice ambiguous, so
    they are refused. Writing the list it already has is not a change (same list back).
    """
    if len(rows) > MAX_ROWS:
        raise InvalidPriceRow(f"{len(rows)} prices for one SKU; at most {MAX_ROWS}")
    ordered = tuple(sorted(rows, key=lambda r: r.sort_key))
    for first, second in pairwise(ordered):
        if first.sort_key == second.sort_key:
            raise InvalidPriceRow(
                f"two prices in {first.currency} for group {first.customer_group!r}, "
                f"min_quantity {first.min_quantity} and the same validity window: keep one"
            )
    check_version(prices, expected_version)
    if ordered == prices.rows:
        return prices
    return replace(prices, version=prices.version + 1, updated_at=now, rows=ordered)


# --- choosing a price ---


def base_price_for(prices: PriceList, currency: str | None) -> PriceRow | None:
    """The base price v1 shows: in `currency` if given; else USD if it exists, else the only one.

    None when there is nothing to show: no base price (in that currency), or several currencies
    and no USD among them. `require_base_price` says which.
    """
    if currency is not None:
        return prices.base_price(check_currency(currency))
    default = prices.base_price(DEFAULT_CURRENCY)
    if default is not None:
        return default
    bases = prices.base_prices
    return bases[0] if len(bases) == 1 else None


def require_base_price(prices: PriceList, currency: str | None) -> PriceRow:
    """`base_price_for`, or the error that tells the caller why there is none."""
    row = base_price_for(prices, currency)
    if row is not None:
        return row
    available = [r.currency for r in prices.base_prices]
    if currency is not None:
        raise PriceNotFound(prices.sku, currency, available)
    if not available:
        raise PriceNotFound(prices.sku)
    raise CurrencyRequired(prices.sku, available)


def select_price(
    rows: Iterable[PriceRow],
    *,
    currency: str,
    quantity: int,
    customer_group: str | None,
    now: datetime,
) -> PriceRow | None:
    """The price that applies to `quantity` units bought by `customer_group` at `now`.

    Applicable rows: same currency, min_quantity <= quantity, no group or the buyer's group,
    valid_from <= now < valid_until (a missing bound is open). Among them the best is, in order:
    1. the highest min_quantity (the deepest tier reached);
    2. group-specific over generic;
    3. a row with a validity window over one without (a sale overrides the regular price);
    4. the latest valid_from (the newest campaign);
    5. the lowest amount (only so that the choice never depends on storage order).
    None when no row applies.
    """
    check_currency(currency)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(f"quantity {quantity!r} must be an integer of at least 1")
    if now.tzinfo is None:
        raise ValueError("select_price needs a timezone-aware `now`")
    applicable = [
        r
        for r in rows
        if r.currency == currency
        and r.applies(quantity=quantity, customer_group=customer_group, now=now)
    ]
    if not applicable:
        return None

    def preference(row: PriceRow) -> tuple[int, bool, bool, datetime, int]:
        windowed = row.valid_from is not None or row.valid_until is not None
        return (
            row.min_quantity,
            row.customer_group is not None,
            windowed,
            row.valid_from or _DAWN,
            -row.amount,
        )

    return max(applicable, key=preference)
