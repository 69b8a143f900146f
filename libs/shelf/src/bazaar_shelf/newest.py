"""A read model's copies of other services' facts, kept by "the newest sequence wins": each
kind of fact (an `Aspect`) sets some columns of a row and is ordered by its own sequence column.

The condition is inside the UPSERT, never read-then-write, so competing consumer instances
applying facts in any order still converge; a stale or late fact changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import Batched, Event, Handler, UnitOfWork, insert_for


@dataclass(frozen=True)
class Aspect:
    """One kind of fact copied: the row's keys, the columns it sets, the sequence ordering it."""

    table: Table
    keys: tuple[str, ...]
    seq_column: str
    columns: tuple[str, ...]


@cache
def _upsert(dialect: str, aspect: Aspect) -> Any:
    """Built once per dialect and aspect: insert the row, or update it only where the stored
    sequence is older than the fact's."""
    statement = insert_for(dialect, aspect.table).values({c: bindparam(c) for c in aspect.columns})
    return statement.on_conflict_do_update(
        index_elements=list(aspect.keys),
        set_={c: statement.excluded[c] for c in aspect.columns if c not in aspect.keys},
        where=aspect.table.c[aspect.seq_column] < statement.excluded[aspect.seq_column],
    )


async def apply_newer(
    connection: AsyncConnection, aspect: Aspect, rows: list[dict[str, Any]]
) -> None:
    """Apply a run of facts of one aspect with one `executemany` (each row carries its `seq`)."""
    if rows:
        await connection.execute(_upsert(connection.dialect.name, aspect), rows)


def copying(aspect: Aspect, to_row: Callable[[Event], dict[str, Any]]) -> Batched:
    """A consumer handler copying each event of a run, as `to_row` maps it, into `aspect`."""

    async def apply(events: Sequence[Event], uow: UnitOfWork) -> None:
        await apply_newer(uow.connection, aspect, [to_row(e) for e in events])

    return Batched(apply)


def each_batch_after(
    first: Callable[[UnitOfWork], Awaitable[None]], handlers: Mapping[str, Batched]
) -> dict[str, Handler]:
    """`handlers`, each run of a batch applied after `first` in the same transaction: what a
    shop window does before it copies anything. On PostgreSQL `first` is also where several
    instances' batches take turns: each run updates rows in event order, so two batches sharing
    rows in different orders would deadlock, unless each takes one lock before its first row."""

    def after_first(handler: Batched) -> Batched:
        async def apply(events: Sequence[Event], uow: UnitOfWork) -> None:
            await first(uow)
            await handler.handle(events, uow)

        return Batched(apply)

    return {name: after_first(handler) for name, handler in handlers.items()}
