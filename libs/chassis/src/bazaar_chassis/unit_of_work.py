"""One business transaction: state changes and the events they cause, committed together.

    async with runtime.unit_of_work() as uow:
        version = await store.set_price(uow.connection, ...)
        uow.emit("pricing.price_changed.v1", subject=sku, sequence=version, data={...})

The events go to the outbox in the same transaction; the relay is woken after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.database import Database
from bazaar_chassis.envelope import Event
from bazaar_chassis.outbox import stage_events

_PROPAGATOR = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The W3C traceparent of the active span, so an event continues the request's trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


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
    """Opens units of work on one database and tells the outbox relay about their commits."""

    def __init__(
        self, *, database: Database, source: str, after_commit: Callable[[], None]
    ) -> None:
        self._database = database
        self._source = source
        self._after_commit = after_commit

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        async with self._database.transaction() as connection:
            uow = UnitOfWork(connection, source=self._source)
            yield uow
            await stage_events(connection, uow.events)
        if uow.events:
            self._after_commit()
