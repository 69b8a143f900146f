"""Column types every service's tables share, and the mapping between rows and entities.

`UtcDateTime` stores timezone-aware UTC and always gives aware UTC back: SQLite has no time zone
type and would otherwise hand back naive datetimes. `row_values` and `from_row` map a dataclass
entity to and from a row by field name, so no store copies an entity's field list by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("UtcDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sku_versions_table(name: str, metadata: MetaData) -> Table:
    """One row per SKU: its `version` (the optimistic-concurrency token and the `sequence` of its
    events), bumped by every change to anything the service keeps about the SKU."""
    return Table(
        name,
        metadata,
        Column("sku", String(64), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


def versioned() -> tuple[Column[Any], ...]:
    """The columns a versioned entity's table ends with: `version` (the optimistic-concurrency
    token and its events' `sequence`), `created_at` and `updated_at`."""
    return (
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


def row_values(entity: Any, *, rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A dataclass entity as column values: one per field, `rename` maps field → column name."""
    names = rename or {}
    return {names.get(f.name, f.name): getattr(entity, f.name) for f in fields(entity)}


def from_row(
    entity: type[T], row: Row[Any], *, rename: Mapping[str, str] | None = None, **converted: Any
) -> T:
    """The dataclass `entity` from a row's columns of the same names (`rename`: field → column);
    `converted` gives the fields that need more than a copy (an enum from its string)."""
    names = rename or {}
    values = row._mapping
    return entity(
        **{
            f.name: converted[f.name] if f.name in converted else values[names.get(f.name, f.name)]
            for f in fields(entity)  # type: ignore[arg-type]
        }
    )
