"""Inventory API v1: one location ("default") as far as callers can tell, plus reservations.

`on_hand` and `reserved` are summed over every location, so stock written per location through v2
shows up here too; `available` is what one v1 reservation can hold now, the most available at
any single location (a reservation is never split), so a v1 client that sees N available can
reserve N. Thin by design: parse → use case → respond; the rules live in use_cases and domain.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bazaar_chassis import ReadsDep, Sku, SkuList, Text, UnitsDep, WholeNumber
from bazaar_inventory import use_cases
from bazaar_inventory.api.fields import ExpectedVersion
from bazaar_inventory.domain import (
    DEFAULT_LOCATION,
    DEFAULT_TTL_SECONDS,
    MAX_QUANTITY,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    Reservation,
    ReservationStatus,
    StockSummary,
)

router = APIRouter()


class StockSet(BaseModel):
    quantity: WholeNumber = Field(
        ge=0, le=MAX_QUANTITY, description="units on hand at the location"
    )
    version: ExpectedVersion = None


class StockOut(BaseModel):
    sku: str
    on_hand: int = Field(description="units on hand, summed over every location")
    reserved: int = Field(description="units reserved, summed over every location")
    available: int = Field(
        description="the most one reservation can hold now: the largest on_hand - reserved of "
        "any one location (equal to on_hand - reserved while all stock is in one location)"
    )
    version: int
    quarantine: str | None = Field(
        default=None, description="why the SKU is quarantined (a recall): nothing is available"
    )

    @classmethod
    def of(cls, summary: StockSummary) -> StockOut:
        return cls(
            sku=summary.sku,
            on_hand=summary.on_hand,
            reserved=summary.reserved,
            available=summary.best_location_available,
            version=summary.version,
            quarantine=summary.quarantine,
        )


class StockList(BaseModel):
    items: list[StockOut]


class ReservationCreate(BaseModel):
    sku: Sku
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)
    reference: Text = Field(
        min_length=1, max_length=200, description="what the units are held for, e.g. a cart id"
    )
    ttl_seconds: WholeNumber = Field(
        default=DEFAULT_TTL_SECONDS, ge=MIN_TTL_SECONDS, le=MAX_TTL_SECONDS
    )


class ReservationOut(BaseModel):
    id: str
    sku: str
    location: str = Field(description="where the units are held: the one with the most available")
    quantity: int
    reference: str = Field(description="the caller's own reference, e.g. its cart or order id")
    status: ReservationStatus
    expires_at: datetime = Field(description="the units go back to stock then, unless released")

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationOut:
        return cls.model_validate(reservation, from_attributes=True)


@router.put("/stock/{sku}")
async def set_stock(sku: Sku, body: StockSet, units: UnitsDep) -> StockOut:
    summary = await use_cases.set_stock(
        units=units,
        sku=sku,
        location=DEFAULT_LOCATION,
        quantity=body.quantity,
        expected_version=body.version,
    )
    return StockOut.of(summary)


@router.get("/stock")
async def list_stock(
    reads: ReadsDep,
    skus: SkuList,
) -> StockList:
    """Stock of several SKUs in one call; SKUs that were never stocked are left out."""
    found = await use_cases.stock_of_many(reads=reads, skus=skus)
    return StockList(items=[StockOut.of(summary) for summary in found])


@router.get("/stock/{sku}")
async def get_stock(sku: Sku, reads: ReadsDep) -> StockOut:
    return StockOut.of(await use_cases.stock_of(reads=reads, sku=sku))


@router.post("/reservations", status_code=201)
async def reserve(body: ReservationCreate, units: UnitsDep) -> ReservationOut:
    reservation = await use_cases.reserve(
        units=units,
        sku=body.sku,
        quantity=body.quantity,
        reference=body.reference,
        ttl_seconds=body.ttl_seconds,
    )
    return ReservationOut.of(reservation)


@router.get("/reservations/{reservation_id}")
async def get_reservation(reservation_id: str, reads: ReadsDep) -> ReservationOut:
    found = await use_cases.reservation(reads=reads, reservation_id=reservation_id)
    return ReservationOut.of(found)


@router.delete("/reservations/{reservation_id}")
async def release(reservation_id: str, units: UnitsDep) -> ReservationOut:
    """Release the units; releasing twice (or after expiry) is a 409."""
    released = await use_cases.release(units=units, reservation_id=reservation_id)
    return ReservationOut.of(released)
