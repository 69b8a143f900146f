"""Inventory API v2: stock per location. It reads and writes the same tables as v1.

v1's "default" location is an ordinary location here, so both majors can take traffic at once
(M4). Its models are its own (only the version field is shared, api/fields.py): v1 may be
retired without touching this module.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bazaar_chassis import ReadsDep, Sku, UnitsDep, WholeNumber
from bazaar_inventory import use_cases
from bazaar_inventory.api.fields import ExpectedVersion
from bazaar_inventory.domain import MAX_QUANTITY, StockSummary

router = APIRouter()


class LocationStockSet(BaseModel):
    quantity: WholeNumber = Field(
        ge=0, le=MAX_QUANTITY, description="units on hand at this location"
    )
    version: ExpectedVersion = None


class LocationOut(BaseModel):
    location: str
    on_hand: int
    reserved: int
    available: int


class StockByLocationOut(BaseModel):
    sku: str
    available: int
    version: int
    locations: list[LocationOut]
    quarantine: str | None = None  # why the SKU is quarantined (a recall): nothing is available

    @classmethod
    def of(cls, summary: StockSummary) -> StockByLocationOut:
        return cls(
            sku=summary.sku,
            available=summary.available,
            version=summary.version,
            quarantine=summary.quarantine,
            locations=[
                LocationOut.model_validate(level, from_attributes=True)
                for level in summary.locations
            ],
        )


@router.put("/stock/{sku}/locations/{location}")
async def set_location_stock(
    sku: Sku, location: str, body: LocationStockSet, units: UnitsDep
) -> StockByLocationOut:
    """Set on_hand at one location (created on first use); never below what is reserved there."""
    summary = await use_cases.set_stock(
        units=units,
        sku=sku,
        location=location,
        quantity=body.quantity,
        expected_version=body.version,
    )
    return StockByLocationOut.of(summary)


@router.get("/stock/{sku}")
async def get_stock(sku: Sku, reads: ReadsDep) -> StockByLocationOut:
    """The SKU's stock at every location, sorted by location name."""
    return StockByLocationOut.of(await use_cases.stock_of(reads=reads, sku=sku))
