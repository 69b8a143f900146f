"""A `Batched` handler gets runs of consecutive events of its type, in stream order, once each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from bazaar_chassis import (
    Event,
    RuntimeDep,
    ServiceDefinition,
    ServiceSettings,
    UnitOfWork,
    create_app,
)
from bazaar_chassis.consumer import Batched
from bazaar_chassis.testing import eventually, running_app

router = APIRouter()


class Burst(BaseModel):
    count: int


@router.post("/bursts")
async def burst(body: Burst, runtime: RuntimeDep) -> dict[str, int]:
    async with runtime.unit_of_work() as uow:  # one commit: the events travel together
        for n in range(body.count):
            uow.emit("burster.counted.v1", subject=f"n{n}", sequence=1, data={"n": n})
    return {"emitted": body.count}


runs: list[list[int]] = []


async def on_counted(events: Sequence[Event], uow: UnitOfWork) -> None:
    runs.append([e.data["n"] for e in events])


BURSTER = ServiceDefinition(
    name="burster",
    version="1.0.0",
    description="emits bursts",
    apis={1: router},
    publishes=["burster.counted.v1"],
)
COUNTER = ServiceDefinition(
    name="counter",
    version="1.0.0",
    description="counts in runs",
    apis={},
    handlers={"burster.counted": Batched(on_counted)},
)


async def test_a_batched_handler_gets_every_event_once_and_in_order(
    service_settings: ServiceSettings, tmp_path: Path
) -> None:
    runs.clear()
    producer = create_app(BURSTER, service_settings)
    consumer = create_app(
        COUNTER, service_settings.model_copy(update={"data_dir": tmp_path / "counter"})
    )
    async with running_app(producer) as client, running_app(consumer):
        assert (await client.post("/burster/1/bursts", json={"count": 250})).status_code == 200

        async def all_counted() -> bool:
            return sum(len(run) for run in runs) >= 250

        await eventually(all_counted, message="not every event reached the handler")
    assert [n for run in runs for n in run] == list(range(250))
    assert all(len(run) <= 100 for run in runs)  # never more than one pulled batch at once
