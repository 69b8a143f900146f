"""One business transaction: state changes and the events they cause, committed together.

    async with runtime.unit_of_work() as uow:
        await uow.connection.execute(...)
        uow.emit("pricing.price_changed.v1", subject=sku, sequence=version, data={...})

The events go to the outbox in the same transaction, and are sent right after the commit.

Use cases see less than that: a `Work[S]` (the service's store `S` on the transaction, and
`emit`), opened by a `Units[S]`; reads get the store on a snapshot from a `Reads[S]`. Tests hand
them `bazaar_chassis.testing.FakeUnits` instead, so a use case runs without a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.database import Database
from bazaar_chassis.envelope import Event
from bazaar_chassis.outbox import stage_events

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, so an event or a call continues the request's
    trace: what the W3C propagator's `inject` writes, without its carrier and setter (a fifth of
    its cost, on every forwarded request; tested against it)."""
    context = trace.get_current_span().get_span_context()
    if context == trace.INVALID_SPAN_CONTEXT:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


class UnitOfWork:
    """A write transaction plus the events it will publish."""

    def __init__(self, connection: AsyncConnection, *, source: str) -> None:
        self.connection = connection
        self.events: list[Event] = []
        self._source = source

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event:
        """Record a fact to publish if, and only if, this transaction commits."""
        event = Event(
            type=type,
            subject=subject,
            sequence=sequence,
            data=data,
            source=self._source,
            traceparent=current_traceparent(),
        )
        self.events.append(event)
        return event


class UnitOfWorkFactory:
    """Opens units of work on one database and tells the outbox relay about their commits.

    `on_commit(listener)` subscribes a background worker to every commit, the consumer's
    included: work a transaction creates is picked up at once instead of on the next poll.
    """

    def __init__(
        self,
        *,
        database: Database,
        source: str,
        after_commit: Callable[[], Awaitable[None]],
    ) -> None:
        self._database = database
        self._source = source
        self._after_commit = after_commit
        self._listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` (cheap, non-blocking, e.g. `asyncio.Event.set`) after every commit."""
        self._listeners.append(listener)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        async with self._database.transaction() as connection:
            uow = UnitOfWork(connection, source=self._source)
            yield uow
            await stage_events(connection, uow.events)
        if uow.events:
            await self._after_commit()
        for listener in self._listeners:
            listener()


class Work(Protocol[S_co]):
    """What a use case writes through: its service's store, in one transaction, and `emit`."""

    @property
    def store(self) -> S_co: ...

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event: ...


Units = Callable[[], AbstractAsyncContextManager[Work[S]]]
"""Opens one unit of work: committed when the block ends, rolled back (events too) if it raises."""

Reads = Callable[[], AbstractAsyncContextManager[S]]
"""Opens the store on a consistent read-only snapshot."""


@dataclass(frozen=True, slots=True)
class _StoreWork(Generic[S]):
    store: S
    unit: UnitOfWork

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event:
        return self.unit.emit(type, subject=subject, sequence=sequence, data=data)


def units_of(factory: UnitOfWorkFactory, store: Callable[[AsyncConnection], S]) -> Units[S]:
    """`Units` that give a use case `store(connection)` on each transaction `factory` opens."""

    @asynccontextmanager
    async def open_unit() -> AsyncIterator[Work[S]]:
        async with factory() as unit:
            yield _StoreWork(store(unit.connection), unit)

    return open_unit


def units_within(uow: UnitOfWork, store: Callable[[AsyncConnection], S]) -> Units[S]:
    """`Units` for an event handler's use case: each unit is a savepoint of the handler's
    transaction, so a use case that raises leaves nothing behind (its events included)."""

    @asynccontextmanager
    async def open_savepoint() -> AsyncIterator[Work[S]]:
        emitted = len(uow.events)
        try:
            async with uow.connection.begin_nested():
                yield _StoreWork(store(uow.connection), uow)
        except BaseException:
            del uow.events[emitted:]
            raise

    return open_savepoint


def reads_of(database: Database, store: Callable[[AsyncConnection], S]) -> Reads[S]:
    """`Reads` that give a query `store(connection)` on a snapshot of `database`."""

    @asynccontextmanager
    async def open_snapshot() -> AsyncIterator[S]:
        async with database.snapshot() as connection:
            yield store(connection)

    return open_snapshot
