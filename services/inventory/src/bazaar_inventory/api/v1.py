"""Inventory API v1: one location ("default") as far as callers can tell, plus reservations.

Stock totals are summed over every location, so stock written per location through v2 shows up
here too. Thin by design: parse → command/query → respond; the rules live in domain and store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bazaar_chassis import RuntimeDep
from bazaar_inventory import commands, domain, store
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
    quantity: int = Field(
        strict=True, ge=0, le=MAX_QUANTITY, description="units on hand at the location"
    )
    version: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        description="the SKU version you last read (0: never stocked); a stale one gets 409",
    )


class StockOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    version: int

    @classmethod
    def of(cls, summary: StockSummary) -> StockOut:
        return cls(
            sku=summary.sku,
            on_hand=summary.on_hand,
            reserved=summary.reserved,
            available=summary.available,
            version=summary.version,
        )


class StockList(BaseModel):
    items: list[StockOut]


class ReservationCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64, examples=["COF-ETH-250"])
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY)
    reference: str = Field(
        min_length=1, max_length=200, description="what the units are held for, e.g. a cart id"
    )
    ttl_seconds: int = Field(
        default=DEFAULT_TTL_SECONDS, strict=True, ge=MIN_TTL_SECONDS, le=MAX_TTL_SECONDS
    )


class ReservationOut(BaseModel):
    id: str
    sku: str
    location: str
    quantity: int
    reference: str
    status: ReservationStatus
    expires_at: datetime

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationOut:
        return cls(
            id=reservation.id,
            sku=reservation.sku,
            location=reservation.location,
            quantity=reservation.quantity,
            reference=reservation.reference,
            status=reservation.status,
            expires_at=reservation.expires_at,
        )


@router.put("/stock/{sku}")
async def set_stock(sku: str, body: StockSet, runtime: RuntimeDep) -> StockOut:
    summary = await commands.set_stock(
        runtime,
        sku=sku,
        location=DEFAULT_LOCATION,
        quantity=body.quantity,
        expected_version=body.version,
        now=datetime.now(UTC),
    )
    return StockOut.of(summary)


@router.get("/stock")
async def list_stock(
    runtime: RuntimeDep,
    skus: Annotated[
        str, Query(description=f"1 to {domain.MAX_SKUS_PER_QUERY} comma-separated SKUs")
    ],
) -> StockList:
    """Stock of several SKUs in one call; SKUs that were never stocked are left out."""
    wanted = domain.parse_sku_list(skus)
    async with runtime.database.snapshot() as connection:
        found = await store.summaries(connection, wanted)
    return StockList(items=[StockOut.of(summary) for summary in found])


@router.get("/stock/{sku}")
async def get_stock(sku: str, runtime: RuntimeDep) -> StockOut:
    async with runtime.database.snapshot() as connection:
        summary = await store.summary(connection, sku)
    if summary is None:
        raise domain.SkuNotStocked(sku)
    return StockOut.of(summary)


@router.post("/reservations", status_code=201)
async def reserve(body: ReservationCreate, runtime: RuntimeDep) -> ReservationOut:
    reservation = await commands.reserve(
        runtime,
        sku=body.sku,
        quantity=body.quantity,
        reference=body.reference,
        ttl_seconds=body.ttl_seconds,
        now=datetime.now(UTC),
    )
    return ReservationOut.of(reservation)


@router.get("/reservations/{reservation_id}")
async def get_reservation(reservation_id: str, runtime: RuntimeDep) -> ReservationOut:
    async with runtime.database.snapshot() as connection:
        reservation = await store.get_reservation(connection, reservation_id)
    if reservation is None:
        raise domain.ReservationNotFound(reservation_id)
    return ReservationOut.of(reservation)


@router.delete("/reservations/{reservation_id}")
async def release(reservation_id: str, runtime: RuntimeDep) -> ReservationOut:
    """Release the units; releasing twice (or after expiry) is a 409."""
    reservation = await commands.release(runtime, reservation_id, now=datetime.now(UTC))
    return ReservationOut.of(reservation)
