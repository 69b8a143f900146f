"""The events the inventory service publishes (its contract with every consumer), and its
tolerant readers of the order events it reacts to.

`inventory.stock_changed.v1` carries the SKU's whole stock after the change (event-carried state
transfer): totals and every location. `subject` is the SKU and `sequence` its version, which is
bumped by every change to any of its stock rows or reservations, so a consumer keeps the event
with the highest sequence and drops older or replayed ones.

The checkout facts (`inventory.stock_reserved`, `reservation_failed`, `reservation_expired`) have
the order id as `subject`; `sequence` is the order's hold version (1 reserved or failed, 2
expired). See the checkout design (ADR 6).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bazaar_inventory.domain import Refusal, Reservation, StockSummary

STOCK_CHANGED = "inventory.stock_changed.v1"
STOCK_RESERVED = "inventory.stock_reserved.v1"
RESERVATION_FAILED = "inventory.reservation_failed.v1"
RESERVATION_EXPIRED = "inventory.reservation_expired.v1"
STOCK_QUARANTINED = "inventory.stock_quarantined.v1"


class LocationLevel(BaseModel):
    """Stock of the SKU at one location."""

    location: str
    on_hand: int
    reserved: int
    available: int


class StockChanged(BaseModel):
    """Payload of inventory.stock_changed.v1: totals over all locations, then each location."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    locations: list[LocationLevel]


class ReservedLine(BaseModel):
    sku: str
    quantity: int
    location: str


class StockReserved(BaseModel):
    """Payload of inventory.stock_reserved.v1: every line of the order is held until expires_at."""

    order_id: str
    lines: list[ReservedLine]
    expires_at: datetime


class ReservationFailed(BaseModel):
    """Payload of inventory.reservation_failed.v1: the first line stock could not supply."""

    order_id: str
    sku: str
    requested: int
    available: int


class ReservationExpired(BaseModel):
    """Payload of inventory.reservation_expired.v1: the order's hold lapsed unsettled."""

    order_id: str


class ReleasedReservation(BaseModel):
    id: str
    reference: str
    quantity: int


class StockQuarantined(BaseModel):
    """Payload of inventory.stock_quarantined.v1 (subject: the SKU): a recall reached inventory.
    Its stock is kept (`on_hand`) but none is available, and its active reservations were let go."""

    sku: str
    reason: str
    on_hand: int
    released: list[ReleasedReservation]


SCHEMAS: dict[str, type[BaseModel]] = {
    STOCK_CHANGED: StockChanged,
    STOCK_RESERVED: StockReserved,
    RESERVATION_FAILED: ReservationFailed,
    RESERVATION_EXPIRED: ReservationExpired,
    STOCK_QUARANTINED: StockQuarantined,
}


def stock_changed(summary: StockSummary) -> dict[str, Any]:
    return StockChanged.model_validate(summary, from_attributes=True).model_dump()


def stock_reserved(
    order_id: str, reservations: list[Reservation], expires_at: datetime
) -> dict[str, Any]:
    lines = [ReservedLine.model_validate(r, from_attributes=True) for r in reservations]
    payload = StockReserved(order_id=order_id, lines=lines, expires_at=expires_at)
    return payload.model_dump(mode="json")


def reservation_failed(order_id: str, refusal: Refusal) -> dict[str, Any]:
    return ReservationFailed(order_id=order_id, **asdict(refusal)).model_dump()


def stock_quarantined(
    summary: StockSummary, *, reason: str, released: list[Reservation]
) -> dict[str, Any]:
    payload = StockQuarantined(
        sku=summary.sku,
        reason=reason,
        on_hand=summary.on_hand,
        released=[ReleasedReservation.model_validate(r, from_attributes=True) for r in released],
    )
    return payload.model_dump()


# --- what inventory reads of the order events (extra fields ignored) ---------------------------


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderLineFacts(_Tolerant):
    sku: str
    quantity: int


class OrderPlacedFacts(_Tolerant):
    """order.placed: what to reserve, and for whom."""

    order_id: str
    lines: list[OrderLineFacts]


class ProductRecalledFacts(_Tolerant):
    """product.recalled: which SKU, and why."""

    sku: str
    reason: str = ""


class OrderSettledFacts(_Tolerant):
    """order.confirmed / order.cancelled: which order's reservations to commit or release."""

    order_id: str
