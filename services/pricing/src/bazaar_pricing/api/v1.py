"""Pricing API v1: one base price per SKU and currency (no tiers, groups or windows).

Thin on purpose: each route parses, calls one use case (`use_cases`) and replies. v1 sees only base
rows of the shared price list; rows written by v2 survive every v1 write untouched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from bazaar_chassis import MAX_INTEGER, ReadsDep, Sku, SkuList, UnitsDep, WholeNumber
from bazaar_pricing import use_cases
from bazaar_pricing.domain import ACTIVE_CURRENCIES, MAX_AMOUNT, PriceList, PriceRow

router = APIRouter()
CURRENCIES: list[JsonValue] = [*sorted(ACTIVE_CURRENCIES)]

CurrencyQuery = Annotated[
    str | None,
    Query(
        max_length=16,
        json_schema_extra={"enum": CURRENCIES},
        description="ISO 4217 code, e.g. USD. Without it: USD if the SKU has it, else its only "
        "base price, else 422.",
    ),
]


class BasePriceWrite(BaseModel):
    """A v1 write. Unknown fields are refused so a v2-shaped body is not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(
        ge=0,
        le=MAX_AMOUNT,
        description="integer minor units of `currency` (1299 = 12.99 USD); never a float",
        examples=[1299],
    )
    currency: str = Field(
        min_length=1,
        max_length=16,
        json_schema_extra={"enum": CURRENCIES},  # checked with a helpful 422
        description="active ISO 4217 code",
        examples=["USD"],
    )
    version: WholeNumber | None = Field(
        default=None,
        ge=0,
        le=MAX_INTEGER,
        description="the SKU's price-list version you last read (0 = it has no price yet); "
        "a stale one gets 409. Leave it out to overwrite unconditionally.",
    )


class PriceOut(BaseModel):
    sku: str
    amount: int
    currency: str
    version: int = Field(description="version of the SKU's whole price list")
    updated_at: datetime = Field(description="when the SKU's price list last changed")

    @classmethod
    def of(cls, price_list: PriceList, row: PriceRow) -> PriceOut:
        assert price_list.updated_at is not None, "a stored price list has a change time"
        return cls(
            sku=price_list.sku,
            amount=row.amount,
            currency=row.currency,
            version=price_list.version,
            updated_at=price_list.updated_at,
        )


class PriceBatch(BaseModel):
    items: list[PriceOut]


@router.put("/prices/{sku}")
async def put_base_price(sku: Sku, body: BasePriceWrite, units: UnitsDep) -> PriceOut:
    """Create or replace the base price of `sku` in one currency; other prices stay."""
    price_list, row = await use_cases.set_base_price(
        units=units,
        sku=sku,
        amount=body.amount,
        currency=body.currency,
        expected_version=body.version,
    )
    return PriceOut.of(price_list, row)


@router.get("/prices/{sku}")
async def get_base_price(sku: Sku, reads: ReadsDep, currency: CurrencyQuery = None) -> PriceOut:
    """The base price of `sku` (404 when it has none in that currency)."""
    price_list, row = await use_cases.get_base_price(reads=reads, sku=sku, currency=currency)
    return PriceOut.of(price_list, row)


@router.get("/prices")
async def get_base_prices(
    reads: ReadsDep,
    skus: SkuList,
    currency: CurrencyQuery = None,
) -> PriceBatch:
    """Base prices of several SKUs in one read, in request order.

    SKUs without a base price (in that currency, or with no default to pick) are left out.
    """
    found = await use_cases.get_base_prices(reads=reads, skus=skus, currency=currency)
    return PriceBatch(items=[PriceOut.of(price_list, row) for price_list, row in found])
