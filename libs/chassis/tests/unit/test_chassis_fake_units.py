"""FakeUnits behaves like a transaction: a unit's changes and events count only if it succeeds."""

from __future__ import annotations

import pytest

from bazaar_chassis.testing import FakeUnits


class Counter:
    def __init__(self) -> None:
        self.value = 0


async def test_a_unit_that_succeeds_keeps_its_changes_and_publishes_its_events() -> None:
    units = FakeUnits(Counter())
    async with units() as work:
        work.store.value += 1
        work.emit("counter.bumped.v1", subject="c", sequence=1, data={"value": 1})
    assert (units.store.value, units.commits) == (1, 1)
    assert [(e.type, e.subject, e.sequence) for e in units.published] == [
        ("counter.bumped.v1", "c", 1)
    ]


async def bump_then_fail(units: FakeUnits[Counter]) -> None:
    async with units() as work:
        work.store.value += 1
        work.emit("counter.bumped.v1", subject="c", sequence=1, data={})
        raise RuntimeError("the rule said no")


async def test_a_unit_that_raises_leaves_the_store_and_the_events_as_they_were() -> None:
    units = FakeUnits(Counter())
    with pytest.raises(RuntimeError, match="the rule said no"):
        await bump_then_fail(units)
    assert (units.store.value, units.commits, units.published) == (0, 0, [])


async def test_reads_see_what_was_committed() -> None:
    units = FakeUnits(Counter())
    async with units() as work:
        work.store.value = 7
    async with units.reads() as store:
        assert store.value == 7
