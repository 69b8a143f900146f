"""The events the inventory service publishes: its contract with every consumer.

`inventory.stock_changed.v1` carries the SKU's whole stock after the change (event-carried state
transfer): totals and every location. `subject` is the SKU and `sequence` its version, which is
bumped by every change to any of its stock rows or reservations, so a consumer keeps the event
with the highest sequence and drops older or replayed ones.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bazaar_inventory.domain import StockSummary

STOCK_CHANGED = "inventory.stock_changed.v1"


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


SCHEMAS: dict[str, type[BaseModel]] = {STOCK_CHANGED: StockChanged}


def stock_changed(summary: StockSummary) -> dict[str, Any]:
    return StockChanged.model_validate(summary, from_attributes=True).model_dump()
