"""The events the pricing service publishes: its contract with every consumer.

`pricing.price_changed.v1` carries the SKU's whole price list after the change (event-carried
state transfer): `base_prices` for consumers that only show one price per currency (catalog,
search), `prices` with every row for those that apply tiers, groups and windows (cart).
`sequence` = the price-list version, so a consumer drops anything older than what it holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bazaar_chassis import Money
from bazaar_pricing.domain import PriceList

PRICE_CHANGED = "pricing.price_changed.v1"


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


SCHEMAS: dict[str, type[BaseModel]] = {PRICE_CHANGED: PriceChanged}


def price_changed(price_list: PriceList) -> dict[str, Any]:
    return PriceChanged(
        sku=price_list.sku,
        base_prices=[Money(amount=r.amount, currency=r.currency) for r in price_list.base_prices],
        prices=[
            PriceRowState.model_validate(r, from_attributes=True)
            for r in sorted(price_list.rows, key=lambda r: r.sort_key)
        ],
    ).model_dump(mode="json")
