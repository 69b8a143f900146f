"""The rules every service shares, written once: SKUs, money, ids and the clock.

Product, category, pricing, inventory and catalog all check SKUs with `check_sku` and read SKU
lists with `parse_skus`, so no two services can disagree on what a valid SKU is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import uuid_utils

from bazaar_chassis.errors import InvalidInput

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_SKUS_PER_QUERY = 100

Clock = Callable[[], datetime]
"""What use cases ask the time of: `utc_now` in production, a fixed instant in tests."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class InvalidSku(InvalidInput):
    def __init__(self, sku: str) -> None:
        super().__init__(
            f"SKU {sku!r} is invalid: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )


class InvalidSkuList(InvalidInput):
    def __init__(self, count: int) -> None:
        what = "is empty" if count == 0 else f"lists {count} SKUs"
        super().__init__(
            f"skus {what}; ask for 1 to {MAX_SKUS_PER_QUERY} at a time, comma-separated"
        )


def check_sku(sku: str) -> str:
    """`sku` itself when it is a valid SKU, else `InvalidSku` (422) naming it."""
    if not SKU_PATTERN.match(sku):
        raise InvalidSku(sku)
    return sku


def parse_skus(raw: str) -> list[str]:
    """`"B, A,B ,,C"` → `["B", "A", "C"]`: trimmed, de-duplicated, in request order, each valid."""
    skus = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if not 1 <= len(skus) <= MAX_SKUS_PER_QUERY:
        raise InvalidSkuList(len(skus))
    return [check_sku(sku) for sku in skus]


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units of an ISO 4217 currency (1299 USD is 12.99 dollars)."""

    amount: int
    currency: str


def new_id() -> str:
    """A new entity id: a UUIDv7, unique and sortable by creation time."""
    return str(uuid_utils.uuid7())
