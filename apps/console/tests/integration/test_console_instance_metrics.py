"""The console scrapes every registered instance's `/metrics` (with the scrape token) into its own
store: per service, the requests each route answered and the events published and consumed; per
event type, rates per second and each consumer's lag — the numbers, counted once across a
restart of the console."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bazaar_chassis import (
    Event,
    RuntimeDep,
    ServiceDefinition,
    ServiceSettings,
    UnitOfWork,
    create_app,
)
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_console import counters
from bazaar_console.counters import Count
from bazaar_console.service import build_app as build_console
from bazaar_console.tables import counter_baselines, metadata

TOKEN = "operations-token-of-the-console-tests"
WINDOW = 600
router = APIRouter()
gate = asyncio.Event()  # the consumer applies nothing while it is closed


@router.post("/ticks/{count}", status_code=201)
async def tick(count: int, runtime: RuntimeDep) -> dict[str, int]:
    async with runtime.unit_of_work() as uow:
        for n in range(count):
            uow.emit("ticker.ticked.v1", subject=f"t{n}", sequence=1, data={"n": n})
    return {"ticks": count}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("a server error, counted as one")


async def on_ticked(event: Event, uow: UnitOfWork) -> None:
    await gate.wait()


TICKER = ServiceDefinition(
    name="ticker",
    version="2.1.0",
    description="publishes ticks",
    apis={1: router},
    publishes=["ticker.ticked.v1"],
)
TALLY = ServiceDefinition(
    name="tally",
    version="1.0.0",
    description="consumes ticks",
    apis={},
    handlers={"ticker.ticked": on_ticked},
)


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("ticker",)


@pytest.fixture
def settings(service_settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    monkeypatch.setenv("BAZAAR_OPERATIONS_TOKEN", TOKEN)
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    # no gateway answers here: the console still scrapes every instance
    return service_settings.model_copy(
        update={"metrics_token_sha256": digest, "gateway_url": "http://127.0.0.1:9"}
    )


@pytest.fixture
async def instances(settings: ServiceSettings) -> AsyncIterator[str]:
    """The ticker and the tally, registered; yields the ticker's URL."""
    gate.clear()
    ticker_settings = settings.model_copy(update={"instance_id": "ticker-1"})
    tally_settings = settings.model_copy(update={"instance_id": "tally-1"})
    async with (
        serving(lambda s: create_app(TICKER, s), ticker_settings) as ticker,
        serving(lambda s: create_app(TALLY, s), tally_settings),
    ):
        yield ticker.url
        gate.set()  # let a held handler finish before the tally stops


def _event(found: dict[str, Any], name: str) -> dict[str, Any]:
    items = [item for item in found["items"] if item["name"] == name]
    assert items, f"{name} is not listed (yet: the registry learns of instances in a heartbeat)"
    item: dict[str, Any] = items[0]
    return item


async def _read(console: httpx.AsyncClient, route: str) -> dict[str, Any]:
    reply = await console.get(f"/console/1/{route}", params={"window": WINDOW})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_rates_lag_and_requests_per_route_come_from_every_instance_counted_once(
    settings: ServiceSettings, instances: str
) -> None:
    async with served_client(instances, ADMIN) as ticker:
        assert (await ticker.post("/ticker/1/ticks/5")).status_code == 201
        assert (await ticker.get("/ticker/1/boom")).status_code == 500
        assert (await ticker.get("/ticker/1/boom")).status_code == 500
    console_settings = settings.model_copy(update={"instance_id": "console-1"})
    async with (
        serving(build_console, console_settings) as app,
        served_client(app.url, ADMIN) as console,
    ):

        async def backlog_of_five() -> dict[str, Any] | None:
            ticks = _event(await _read(console, "events"), "ticker.ticked")
            lags = [c["lag"] for c in ticks["consumers"]]  # tally is listed after a heartbeat
            return ticks if ticks["published"] == 5 and lags == [5] else None

        held = await eventually(backlog_of_five, message="five ticks never waited for tally")
        gate.set()

        async def all_consumed() -> dict[str, Any] | None:
            ticks = _event(await _read(console, "events"), "ticker.ticked")
            # a consumer counts an event before it acks it: the lag drops just after
            consumed = [(c["consumed"], c["lag"]) for c in ticks["consumers"]]
            return ticks if consumed == [(5, 0)] else None

        done = await eventually(all_consumed, message="tally never consumed the five ticks")
        services = {s["name"]: s for s in (await _read(console, "services"))["items"]}
        page = (await console.get("/console/1/ui", params={"window": WINDOW})).text

    assert "tally: 0 (0 / 0), 5 (" in page  # the UI shows the lag and what was consumed
    assert held["consumers"][0]["consumed"] == 0  # held at the gate: nothing counted yet
    assert done["published"] == 5
    assert done["published_per_second"] == pytest.approx(5 / WINDOW)
    (tally,) = done["consumers"]
    assert (tally["service"], tally["consumed"], tally["lag"]) == ("tally", 5, 0)
    assert tally["consumed_per_second"] == pytest.approx(5 / WINDOW)
    assert tally["outcomes"] == {"processed": 5}

    ticker_activity = services["ticker"]["activity"]
    assert (ticker_activity["requests"], ticker_activity["server_errors"]) == (3, 2)
    routes = {(r["method"], r["route"]): r for r in ticker_activity["routes"]}
    assert routes[("POST", "/ticker/1/ticks/{count}")]["requests"] == 1
    assert routes[("GET", "/ticker/1/boom")] == {
        "method": "GET",
        "route": "/ticker/1/boom",
        "requests": 2,
        "server_errors": 2,
    }
    assert ticker_activity["events_published"] == 5
    assert services["tally"]["activity"]["events_consumed"] == {"processed": 5}

    # the console restarts on the same database: what it counted stays, nothing twice
    async with (
        serving(build_console, console_settings) as app,
        served_client(app.url, ADMIN) as console,
    ):
        again = _event(await _read(console, "events"), "ticker.ticked")
        services = {s["name"]: s for s in (await _read(console, "services"))["items"]}
    assert (again["published"], again["consumers"][0]["consumed"]) == (5, 5)
    assert services["ticker"]["activity"]["requests"] == 3


async def test_the_counter_store_keeps_gains_once_counts_a_restart_from_zero_and_stays_bounded(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

        def scraped(value: float) -> list[Count]:
            return [Count("ticker", "2.1.0", "events_published", {"event": "t.x"}, value)]

        for at, value in ((1.0, 4.0), (2.0, 4.0), (3.0, 6.0), (4.0, 1.0)):  # then a restart
            await counters.record(connection, "ticker-1", scraped(value), at=at)
        found = await counters.gains(connection, window=10, now=5.0)
        assert [c.value for c in found] == [4 + 2 + 1]
        await counters.prune(connection, cutoff=0.0, limit=2)
        assert [c.value for c in await counters.gains(connection, window=10, now=5.0)] == [3]
        await counters.prune(connection, cutoff=3.5, limit=100)  # older than the cutoff: gone
        assert [c.value for c in await counters.gains(connection, window=10, now=5.0)] == [1]
        assert (await connection.execute(select(counter_baselines))).all() != []
        await counters.prune(connection, cutoff=99.0, limit=100)  # an instance long gone
        assert (await connection.execute(select(counter_baselines))).all() == []
    await engine.dispose()
