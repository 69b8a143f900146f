"""The events the pricing service publishes: its contract with every consumer.

`pricing.price_changed.v1` carries the SKU's whole price list after the change (event-carried
state transfer): `base_prices` for consumers that only show one price per currency (catalog,
search), `prices` with every row for those that apply tiers, groups and windows (cart).
`sequence` = the price-list version, so a consumer drops anything older than what it holds.

`pricing.price_changed.v2` carries the same list grouped by currency (each currency with its base
amount, or null, and its rows). Every change publishes both, with the same `sequence`, while
any declared consumer still reads v1 (`PUBLISHED`); a consumer that reads both applies the first
and drops its twin as not newer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bazaar_chassis import Money
from bazaar_pricing.domain import PriceList

PRICE_CHANGED = "pricing.price_changed.v1"
PRICE_CHANGED_V2 = "pricing.price_changed.v2"


class PriceRowState(BaseModel):
    """One row of a price list; datetimes are ISO 8601 in UTC, null = open-ended."""

    amount: int
    currency: str
    min_quantity: int
    customer_group: str | None
    valid_from: datetime | None
    valid_until: datetime | None


class PriceChanged(BaseModel):
    """Payload of pricing.price_changed.v1: the SKU's price list after the change."""

    sku: str
    base_prices: list[Money]
    prices: list[PriceRowState]


class CurrencyRowState(BaseModel):
    """One row of a currency's prices in v2 (the currency is its group's)."""

    amount: int
    min_quantity: int
    customer_group: str | None
    valid_from: datetime | None
    valid_until: datetime | None


class CurrencyPrices(BaseModel):
    currency: str
    base_amount: int | None  # the row v1 shows: min_quantity 1, no group, no window
    prices: list[CurrencyRowState]


class PriceChangedV2(BaseModel):
    """Payload of pricing.price_changed.v2: the SKU's price list after the change, by currency."""

    sku: str
    currencies: list[CurrencyPrices]


SCHEMAS: dict[str, type[BaseModel]] = {
    PRICE_CHANGED: PriceChanged,
    PRICE_CHANGED_V2: PriceChangedV2,
}


def price_changed_v2(price_list: PriceList) -> dict[str, Any]:
    rows = sorted(price_list.rows, key=lambda r: r.sort_key)
    currencies = sorted({r.currency for r in rows})
    return PriceChangedV2(
        sku=price_list.sku,
        currencies=[
            CurrencyPrices(
                currency=currency,
                base_amount=base.amount if (base := price_list.base_price(currency)) else None,
                prices=[
                    CurrencyRowState.model_validate(r, from_attributes=True)
                    for r in rows
                    if r.currency == currency
                ],
            )
            for currency in currencies
        ],
    ).model_dump(mode="json")


def price_changed(price_list: PriceList) -> dict[str, Any]:
    return PriceChanged(
        sku=price_list.sku,
        base_prices=[Money(amount=r.amount, currency=r.currency) for r in price_list.base_prices],
        prices=[
            PriceRowState.model_validate(r, from_attributes=True)
            for r in sorted(price_list.rows, key=lambda r: r.sort_key)
        ],
    ).model_dump(mode="json")


PUBLISHED: dict[str, Callable[[PriceList], dict[str, Any]]] = {
    PRICE_CHANGED: price_changed,  # until no declared consumer reads v1 (the catalog does)
    PRICE_CHANGED_V2: price_changed_v2,
}
"""Each price_changed major published on every change, with the builder of its payload."""
