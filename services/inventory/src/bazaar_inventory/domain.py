"""Stock, availability and reservations: the rules, without I/O.

Stock is counted per SKU per location: `on_hand` units are physically there, `reserved` of them
are promised to a checkout, and `available = on_hand - reserved` may be promised next. A
reservation holds units at one location until it is released or its TTL runs out.

    active ──► released    (the holder let go: DELETE /reservations/{id}, or order.cancelled)
       ├─────► committed   (order.confirmed: the units leave the shelf, on_hand -= quantity)
       └─────► expired     (nobody let go before expires_at: the expiry job did)

An order's reservations (reference = the order id) are made all or none; the order's *hold*
records what became of them (reserved, failed, committed, released, expired), once per order, so
a repeated or late order event changes nothing.

The rule that keeps checkouts honest (no overselling under concurrency) is enforced by the store
as a single conditional UPDATE; this module states the bounds and words the refusals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bazaar_chassis import Conflict, InvalidInput, NotFound, StaleVersion, check_sku

LOCATION_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
DEFAULT_LOCATION = "default"  # the one location API v1 knows about
MAX_QUANTITY = 10**9
MIN_TTL_SECONDS = 1
MAX_TTL_SECONDS = 86_400
DEFAULT_TTL_SECONDS = 900


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    COMMITTED = "committed"


class HoldStatus(StrEnum):
    """What became of an order's reservations; every status but `reserved` is final."""

    RESERVED = "reserved"
    FAILED = "failed"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


# --- errors: each says what was wrong in words a caller can act on ----------------------------


class InvalidLocation(InvalidInput):
    def __init__(self, location: str) -> None:
        super().__init__(
            f"location {location!r} is invalid: use 1-32 lowercase letters, digits or '-', "
            "starting with a letter or digit"
        )


class InvalidQuantity(InvalidInput):
    def __init__(self, quantity: object, *, minimum: int) -> None:
        super().__init__(
            f"quantity {quantity!r} is invalid: it must be a whole number "
            f"from {minimum} to {MAX_QUANTITY}"
        )


class InvalidTtl(InvalidInput):
    def __init__(self, ttl_seconds: object) -> None:
        super().__init__(
            f"ttl_seconds {ttl_seconds!r} is invalid: a reservation lasts "
            f"{MIN_TTL_SECONDS} to {MAX_TTL_SECONDS} seconds"
        )


class SkuNotStocked(NotFound):
    def __init__(self, sku: str) -> None:
        super().__init__(f"SKU {sku!r} has never been stocked; set its stock first")


class ReservationNotFound(NotFound):
    def __init__(self, reservation_id: str) -> None:
        super().__init__(f"no reservation with id {reservation_id!r}")


class OutOfStock(Conflict):
    """Not enough available in any single location to hold `requested` units."""

    def __init__(
        self, *, sku: str, requested: int, available: int, best_location_available: int
    ) -> None:
        where = (
            f"only {available} available"
            if best_location_available == available
            else f"at most {best_location_available} available in one location "
            f"({available} in total)"
        )
        super().__init__(f"cannot reserve {requested} of SKU {sku!r}: {where}")
        self.requested = requested
        self.available = available


class Quarantined(OutOfStock):
    """A recalled SKU: its units are kept but none may be promised."""

    def __init__(self, *, sku: str, requested: int, reason: str) -> None:
        Conflict.__init__(
            self, f"cannot reserve {requested} of SKU {sku!r}: it is quarantined ({reason})"
        )
        self.requested = requested
        self.available = 0


class StockBelowReserved(Conflict):
    def __init__(self, *, sku: str, location: str, on_hand: int, reserved: int) -> None:
        super().__init__(
            f"cannot set on_hand of SKU {sku!r} at {location!r} to {on_hand}: {reserved} are "
            "reserved there; release reservations first or set at least that many"
        )


class ReservationNotActive(Conflict):
    def __init__(self, reservation_id: str, status: ReservationStatus) -> None:
        super().__init__(
            f"reservation {reservation_id!r} is already {status}; only an active one can be "
            "released"
        )


# --- value objects ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocationStock:
    location: str
    on_hand: int
    reserved: int
    quarantined: bool = False  # a recalled SKU: its units stay counted but cannot be promised

    @property
    def available(self) -> int:
        return 0 if self.quarantined else self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class StockSummary:
    """All stock of one SKU at `version` (its change counter), locations sorted by name."""

    sku: str
    version: int
    locations: tuple[LocationStock, ...]
    quarantine: str | None = None  # why the SKU is quarantined (a recall's reason), if it is

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.locations)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for level in self.locations)

    @property
    def available(self) -> int:
        return sum(level.available for level in self.locations)

    @property
    def best_location_available(self) -> int:
        """The largest reservation one location could hold right now (v1 never splits one)."""
        return max((level.available for level in self.locations), default=0)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    sku: str
    location: str
    quantity: int
    reference: str
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an order could not be reserved: the first line stock could not supply."""

    sku: str
    requested: int
    available: int


# --- rules --------------------------------------------------------------------------------------


def check_location(location: str) -> str:
    if not LOCATION_PATTERN.fullmatch(location):  # `$` alone would let a trailing newline through
        raise InvalidLocation(location)
    return location


def check_quantity(quantity: object, *, minimum: int = 0) -> int:
    """A whole number of units in [minimum, MAX_QUANTITY]; bools and floats are not quantities."""
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not minimum <= quantity <= MAX_QUANTITY
    ):
        raise InvalidQuantity(quantity, minimum=minimum)
    return quantity


def check_reservation_quantity(quantity: object) -> int:
    """Reserving nothing is meaningless, so a reservation holds at least one unit."""
    return check_quantity(quantity, minimum=1)


def reservation_expiry(now: datetime, ttl_seconds: object) -> datetime:
    """When a reservation made at `now` lapses; TTL bounds keep stock from being held forever."""
    if (
        not isinstance(ttl_seconds, int)
        or isinstance(ttl_seconds, bool)
        or not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise InvalidTtl(ttl_seconds)
    if now.tzinfo is None:
        raise ValueError("reservation times are timezone-aware UTC")
    return now + timedelta(seconds=ttl_seconds)


def check_on_hand_covers_reserved(*, sku: str, location: str, on_hand: int, reserved: int) -> None:
    """Stock may shrink, but never below what has already been promised."""
    if on_hand < reserved:
        raise StockBelowReserved(sku=sku, location=location, on_hand=on_hand, reserved=reserved)


def check_expected_version(*, sku: str, expected: int | None, actual: int) -> None:
    """Optimistic concurrency on a SKU's stock: `None` means the caller did not ask for it."""
    if expected is not None and expected != actual:
        raise StaleVersion(resource=f"stock of SKU {sku}", expected=expected, actual=actual)


def check_releasable(reservation: Reservation) -> None:
    if reservation.status != ReservationStatus.ACTIVE:
        raise ReservationNotActive(reservation.id, reservation.status)


def out_of_stock(summary: StockSummary, requested: int) -> OutOfStock:
    return OutOfStock(
        sku=summary.sku,
        requested=requested,
        available=summary.available,
        best_location_available=summary.best_location_available,
    )


def order_quantities(lines: list[tuple[str, int]]) -> list[tuple[str, int]] | Refusal:
    """An order's (sku, quantity) lines summed per SKU, in SKU order (the order locks are taken
    in); a Refusal (nothing available) for the first line no stock could ever supply."""
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        try:
            wanted[check_sku(sku)] = wanted.get(sku, 0) + check_reservation_quantity(quantity)
        except InvalidInput:
            return Refusal(sku=sku, requested=quantity, available=0)
    return sorted(wanted.items())
