"""The rules every service shares, written once: SKUs, money, ids, numbers and the clock.

Product, category, pricing, inventory and catalog all check SKUs with `check_sku` and read SKU
lists with `parse_skus`, so no two services can disagree on what a valid SKU is; `Sku`, `SkuList`,
`Offset`, `Version` and `WholeNumber` carry the same rules into the OpenAPI schema of every request;
`Text` keeps out of stored text what PostgreSQL cannot store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import uuid_utils
from pydantic import AfterValidator, BeforeValidator, Field

from bazaar_chassis.errors import InvalidInput

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_SKUS_PER_QUERY = 100
MAX_INTEGER = 2**53 - 1  # the largest integer any JSON client reads exactly; stores hold int64
MAX_INT32 = 2**31 - 1  # the largest value of an `Integer` column (32 bits on PostgreSQL)
MAX_OFFSET = 1_000_000  # deeper pages are for exports, not for paging


def _valid_sku(value: str) -> str:
    if not SKU_PATTERN.fullmatch(value):
        raise ValueError(InvalidSku(value).detail)  # the same words as `check_sku`
    return value


Sku = Annotated[
    str,
    AfterValidator(_valid_sku),
    Field(
        json_schema_extra={"pattern": SKU_PATTERN.pattern, "minLength": 1, "maxLength": 64},
        examples=["COF-001"],
        description="1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
]
_ONE_SKU = SKU_PATTERN.pattern.strip("^$")
# What `parse_skus` reads: SKUs between commas, spaces around them, empty parts skipped.
SKU_LIST_PATTERN = rf"^[\s,]*{_ONE_SKU}(\s*,[\s,]*({_ONE_SKU})?)*\s*$"


def _valid_sku_list(value: str) -> str:
    try:
        parse_skus(value)
    except InvalidInput as error:
        raise ValueError(error.detail) from None  # the same words as `parse_skus`
    return value


SkuList = Annotated[
    str,
    AfterValidator(_valid_sku_list),
    Field(
        json_schema_extra={"pattern": SKU_LIST_PATTERN},
        examples=["COF-001,COF-002"],
        description=f"1 to {MAX_SKUS_PER_QUERY} comma-separated SKUs",
    ),
]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


# Text a service stores: PostgreSQL's text types cannot hold U+0000 (SQLite would keep it).
Text = Annotated[str, AfterValidator(_no_nul)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="how many items to skip")]
Version = Annotated[
    int, Field(ge=1, le=MAX_INTEGER, description="the version you last read; a stale one gets 409")
]


def _whole(value: object) -> object:
    """JSON's `12.0` is the integer 12 (so says JSON Schema); `12.5`, `"12"` and `true` are not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer field that takes no string or boolean for a number (pydantic's strict mode), yet
# takes `12.0`: every `"type": "integer"` value a client may send, and nothing else.
WholeNumber = Annotated[int, BeforeValidator(_whole), Field(strict=True)]

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
    if not SKU_PATTERN.fullmatch(sku):  # `$` alone would let a trailing newline through
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
