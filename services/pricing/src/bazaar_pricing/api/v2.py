"""Pricing API v2: a SKU's whole price list (tiers, customer groups, validity windows, currencies).

It reads and writes the same store as v1: a v1 write is the base row here, a v2 list's base rows
are what v1 shows. Thin on purpose: parse, call one use case, reply. Its models are its own but
for a price row, the one `pricing.price_changed.v1` carries too (events.PriceRowState).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from bazaar_chassis import ReadsDep, UnitsDep, WholeNumber
from bazaar_pricing import use_cases
from bazaar_pricing.domain import MAX_AMOUNT, MAX_QUANTITY, MAX_ROWS, PriceList, PriceRow, price_row
from bazaar_pricing.events import PriceRowState

router = APIRouter()


class PriceIn(BaseModel):
    """One price: `amount` of `currency` per unit, from `min_quantity` units, for a group, then."""

    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(ge=0, le=MAX_AMOUNT, examples=[1299])
    currency: str = Field(min_length=1, max_length=16, examples=["USD"])
    min_quantity: WholeNumber = Field(
        default=1, ge=1, le=MAX_QUANTITY, description="the tier's first unit"
    )
    customer_group: str | None = Field(
        default=None, max_length=64, description="null: every buyer", examples=["wholesale"]
    )
    valid_from: datetime | None = Field(default=None, description="null: since always")
    valid_until: datetime | None = Field(default=None, description="null: until further notice")


class PriceListWrite(BaseModel):
    """The SKU's prices after the write: every row not listed is removed."""

    model_config = ConfigDict(extra="forbid")

    prices: list[PriceIn] = Field(max_length=MAX_ROWS)
    version: WholeNumber | None = Field(
        default=None,
        ge=0,
        description="the price-list version you last read (0 = no price yet); stale → 409",
    )


class PriceOut(PriceRowState):
    __doc__ = None  # the row's fields are the event's; the description is not

    @classmethod
    def of(cls, row: PriceRow) -> PriceOut:
        return cls.model_validate(row, from_attributes=True)


class PriceListOut(BaseModel):
    sku: str
    version: int = Field(description="version of the SKU's whole price list (shared with v1)")
    updated_at: datetime
    prices: list[PriceOut] = Field(description="sorted by currency, group, tier and window")

    @classmethod
    def of(cls, price_list: PriceList) -> PriceListOut:
        assert price_list.updated_at is not None, "a stored price list has a change time"
        return cls(
            sku=price_list.sku,
            version=price_list.version,
            updated_at=price_list.updated_at,
            prices=[PriceOut.of(r) for r in price_list.rows],
        )


class QuoteOut(BaseModel):
    sku: str
    version: int
    quantity: int
    customer_group: str | None
    price: PriceOut = Field(description="the row that applies (see the price selection rule)")


@router.put("/prices/{sku}")
async def put_prices(sku: str, body: PriceListWrite, units: UnitsDep) -> PriceListOut:
    """Replace every price of `sku`; 422 for a bad or duplicated row, 409 for a stale version."""
    rows = [price_row(**item.model_dump()) for item in body.prices]
    price_list = await use_cases.set_prices(
        units=units, sku=sku, rows=rows, expected_version=body.version
    )
    return PriceListOut.of(price_list)


@router.get("/prices/{sku}")
async def get_prices(sku: str, reads: ReadsDep) -> PriceListOut:
    """Every price of `sku`, whichever major wrote it (404 when it never had one)."""
    return PriceListOut.of(await use_cases.get_prices(reads=reads, sku=sku))


@router.get("/prices/{sku}/quote")
async def get_quote(
    sku: str,
    reads: ReadsDep,
    currency: Annotated[str, Query(max_length=16, examples=["USD"])],
    quantity: Annotated[int, Query(ge=1)] = 1,
    customer_group: Annotated[str | None, Query(max_length=64)] = None,
) -> QuoteOut:
    """The price that applies now to `quantity` units for `customer_group` (404 if none does)."""
    price_list, row = await use_cases.quote(
        reads=reads,
        sku=sku,
        currency=currency,
        quantity=quantity,
        customer_group=customer_group,
    )
    return QuoteOut(
        sku=sku,
        version=price_list.version,
        quantity=quantity,
        customer_group=customer_group,
        price=PriceOut.of(row),
    )
