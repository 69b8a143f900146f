"""A unit of work without a database, for unit tests of use cases (fakes, never mocks).

    units = FakeUnits(FakeProductStore())
    await use_cases.create_product(units=units, reads=units.reads, clock=FIXED, ...)
    assert [e.type for e in units.published] == ["product.created.v1"]

Each unit works on a copy of the store: it replaces the store and publishes its events only when
the block ends without an exception, so a use case that fails half-way leaves nothing behind,
as a real transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bazaar_chassis.envelope import Event

S = TypeVar("S")


@dataclass
class FakeWork(Generic[S]):
    """One open fake unit of work: a private copy of the store and the events it emitted."""

    store: S
    events: list[Event] = field(default_factory=list)

    def emit(self, type: str, *, subject: str, sequence: int, data: dict[str, Any]) -> Event:
        event = Event(type=type, subject=subject, sequence=sequence, data=data, source="/fake")
        self.events.append(event)
        return event


class FakeUnits(Generic[S]):
    """`Units[S]` and `Reads[S]` over one in-memory store; `published` lists committed events."""

    def __init__(self, store: S) -> None:
        self.store = store
        self.published: list[Event] = []
        self.commits = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeWork[S]]:
        work = FakeWork(copy.deepcopy(self.store))
        yield work
        self.store = work.store
        self.published.extend(work.events)
        self.commits += 1

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[S]:
        yield self.store
