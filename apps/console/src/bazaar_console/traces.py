"""The console's trace store: spans received over OTLP, bounded, searchable, as waterfalls.

A trace is found by its id, or by a request id, an order id or a SKU: the id of the entity an
event was about, or a segment of a request's path.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_console.tables import spans


async def keep(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Store spans (a re-sent span is kept once).

    Every span of every process comes here, a few thousand a second under load: the rows go to
    the driver's `executemany` as plain tuples, without SQLAlchemy's per-row parameter
    processing, which was about a third of the console's time (docs/benchmarks.md, P2).
    """
    if not rows:
        return
    statement, names = _insert_for(connection.dialect)
    await connection.exec_driver_sql(statement, [tuple(row[n] for n in names) for row in rows])


_INSERTS: dict[str, tuple[str, tuple[str, ...]]] = {}


def _insert_for(dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """The insert in the dialect's own SQL and placeholders, and the column of each placeholder."""
    if dialect.name not in _INSERTS:
        insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
        compiled = insert(spans).on_conflict_do_nothing().compile(dialect=dialect)
        assert compiled.positiontup is not None, "the drivers Bazaar uses are positional"
        _INSERTS[dialect.name] = str(compiled), tuple(compiled.positiontup)
    return _INSERTS[dialect.name]


async def prune(connection: AsyncConnection, *, limit: int) -> None:
    """Forget all but the newest `limit` spans."""
    cutoff = await connection.scalar(
        select(spans.c.start_ns).order_by(spans.c.start_ns.desc()).offset(limit).limit(1)
    )
    if cutoff is not None:
        await connection.execute(delete(spans).where(spans.c.start_ns <= cutoff))


async def find(connection: AsyncConnection, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Traces that mention `query`: as trace id, request id, event entity or path segment."""
    pattern = f"%/{query}%"
    matching = (
        select(spans.c.trace_id)
        .where(
            or_(
                spans.c.trace_id == query.lower(),
                spans.c.request_id == query,
                spans.c.entity == query,
                spans.c.target.like(pattern),
            )
        )
        .distinct()
    )
    rows = (
        await connection.execute(
            select(
                spans.c.trace_id,
                func.min(spans.c.start_ns).label("start_ns"),
                func.max(spans.c.end_ns).label("end_ns"),
                func.count().label("spans"),
                func.count(spans.c.service.distinct()).label("services"),
            )
            .where(spans.c.trace_id.in_(matching))
            .group_by(spans.c.trace_id)
            .order_by(func.min(spans.c.start_ns).desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "trace_id": r.trace_id,
            "started_ns": r.start_ns,
            "duration_ms": (r.end_ns - r.start_ns) / 1e6,
            "spans": r.spans,
            "services": r.services,
        }
        for r in rows
    ]


async def waterfall(connection: AsyncConnection, trace_id: str) -> dict[str, Any] | None:
    """The trace's spans in start order, each with its depth and offset from the trace start."""
    rows = (
        await connection.execute(
            select(spans).where(spans.c.trace_id == trace_id.lower()).order_by(spans.c.start_ns)
        )
    ).all()
    if not rows:
        return None
    start = min(r.start_ns for r in rows)
    end = max(r.end_ns for r in rows)
    by_id = {r.span_id: r for r in rows}

    def depth(row: Any) -> int:
        level, seen = 0, set()
        while row.parent_id in by_id and row.span_id not in seen:
            seen.add(row.span_id)
            row = by_id[row.parent_id]
            level += 1
        return level

    items = [
        {
            "span_id": r.span_id,
            "parent_id": r.parent_id,
            "name": r.name,
            "service": r.service,
            "release": r.release,
            "major": r.major,
            "kind": r.kind,
            "error": r.error,
            "depth": depth(r),
            "offset_ms": (r.start_ns - start) / 1e6,
            "duration_ms": (r.end_ns - r.start_ns) / 1e6,
            "attributes": orjson.loads(r.attributes),
        }
        for r in rows
    ]
    return {
        "trace_id": trace_id.lower(),
        "duration_ms": (end - start) / 1e6,
        "services": sorted({r.service for r in rows}),
        "spans": items,
    }
