"""P4 — event throughput: outbox → JetStream → idempotent consumer, beside raw nats-py publishing.

Built in-process with the chassis, like its own integration testbed: a producer service
(`benchsrc`) writes N events through `runtime.unit_of_work()` in batches (each batch one
transaction: the rows and their events, staged in the outbox), its relay publishes them, and a
consumer service (`benchsink`) applies each with a small upsert, inbox row and all. Timed from the
first write to the last event applied (the consumer's `bazaar_events_consumed_total`, checked
against its table). Both services and the raw publish loops run in this one process and event
loop on one nats-server, so the comparison is one core against one core.

Raw: `await js.publish` one after the other (a round trip per message), and `publish_async` in
batches of 500 awaiting each batch's acks (what the relay itself does). Goal: the pipeline
sustains >= 0.3x the raw publish rate (we hold it to the faster raw mode).
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, func, select
from sqlalchemy.dialects import sqlite

from bazaar_chassis import (
    Event,
    Runtime,
    ServiceDefinition,
    ServiceSettings,
    UnitOfWork,
    create_app,
)
from bazaar_chassis.consumer import Batched
from bazaar_chassis.testing import running_app
from bazaar_platform.nats_server import NatsServer
from bazaar_platform.provisioning import provision_server
from bench import jetstream
from bench.context import Context
from bench.plots import Panel, candidate_figure
from bench.results import Goal, ScenarioResult, fmt_ratio, fmt_spread
from bench.results import Table as ResultTable
from bench.stats import Spread, ratio

ID = "P4"
TITLE = "event throughput: outbox → JetStream → idempotent consumer"
BATCH = 100  # events per producer transaction
DRAIN_TIMEOUT_S = 300.0
PAYLOAD = b'{"sku": "BENCH-0001", "amount": 1234, "currency": "USD"}'

metadata = MetaData()
written = Table(
    "written",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)
applied = Table(
    "applied",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
)


async def _create_tables(runtime: Runtime) -> None:
    async with runtime.database.transaction() as connection:
        await connection.run_sync(metadata.create_all)


def _upsert_if_newer() -> Any:
    """Built once, as the catalog builds its upserts: a row is kept only if newer."""
    statement = sqlite.insert(applied).values(
        key=bindparam("key"), value=bindparam("value"), seq=bindparam("seq")
    )
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": statement.excluded.value, "seq": statement.excluded.seq},
        where=applied.c.seq < statement.excluded.seq,
    )


UPSERT_IF_NEWER = _upsert_if_newer()


async def on_items_written(events: Sequence[Event], uow: UnitOfWork) -> None:
    """The consumer's effect, as the catalog applies facts: one conditional upsert per run."""
    await uow.connection.execute(
        UPSERT_IF_NEWER,
        [{"key": e.subject, "value": e.data["value"], "seq": e.sequence} for e in events],
    )


SOURCE = ServiceDefinition(
    name="benchsrc",
    version="1.0.0",
    description="P4 producer",
    apis={},
    publishes=["benchsrc.item_written.v1"],
    on_startup=[_create_tables],
)
SINK = ServiceDefinition(
    name="benchsink",
    version="1.0.0",
    description="P4 consumer",
    apis={},
    handlers={"benchsrc.item_written": Batched(on_items_written)},
    on_startup=[_create_tables],
)


def _consumed(runtime: Runtime) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "bazaar_events_consumed_total",
        {
            "service": "benchsink",
            "version": "1.0.0",
            "event": "benchsrc.item_written",
            "outcome": "processed",
        },
    )
    return value or 0.0


def _relayed(runtime: Runtime) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "bazaar_outbox_published_total",
        {"service": "benchsrc", "version": "1.0.0", "event": "benchsrc.item_written"},
    )
    return value or 0.0


async def _pipeline_round(source: Runtime, sink: Runtime, *, events: int) -> dict[str, float]:
    """Write `events` events in batches; time until the consumer applied the last one."""
    prefix = uuid.uuid4().hex[:8]
    target = _consumed(sink) + events
    relay_target = _relayed(source) + events
    relayed = math.nan
    started = time.perf_counter()
    for first in range(0, events, BATCH):
        rows = [
            {"key": f"{prefix}-{n}", "value": n} for n in range(first, min(first + BATCH, events))
        ]
        async with source.unit_of_work() as uow:
            await uow.connection.execute(written.insert(), rows)
            for row in rows:
                uow.emit(
                    "benchsrc.item_written.v1",
                    subject=str(row["key"]),
                    sequence=1,
                    data={"value": row["value"]},
                )
    wrote = time.perf_counter() - started
    async with asyncio.timeout(DRAIN_TIMEOUT_S):
        while _consumed(sink) < target:  # counters: polled, nothing to await
            if math.isnan(relayed) and _relayed(source) >= relay_target:
                relayed = time.perf_counter() - started
            await asyncio.sleep(0.005)
    if math.isnan(relayed):  # the relay finished within the consumer's last poll interval
        relayed = time.perf_counter() - started
    elapsed = time.perf_counter() - started
    async with sink.database.snapshot() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(applied).where(applied.c.key.like(f"{prefix}-%"))
        )
    if count != events:
        raise RuntimeError(f"consumer applied {count} rows for {events} events")
    return {
        "events_per_s": events / elapsed,
        "seconds": elapsed,
        "write_seconds": wrote,
        "write_events_per_s": events / wrote,
        "relayed_seconds": relayed,
        "relayed_events_per_s": events / relayed,
    }


async def _measure(context: Context) -> dict[str, list[dict[str, float]]]:
    names = ("pipeline (outbox → consumer)", "raw js.publish (sync)", "raw publish_async x500")
    records: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    directory = context.workdir / "p4"
    shutil.rmtree(directory, ignore_errors=True)
    server = NatsServer(store_dir=directory / "nats")
    server.start()
    await provision_server(server.url, [SOURCE.name])  # as the operator would
    try:
        settings = ServiceSettings(
            data_dir=directory / "data",
            nats_url=server.url,
            outbox_poll_seconds=1.0,
            log_level="error",  # the services log a warning as the bus closes at the end
        )
        source_app, sink_app = create_app(SOURCE, settings), create_app(SINK, settings)
        source: Runtime = source_app.state.runtime
        sink: Runtime = sink_app.state.runtime
        async with (
            running_app(source_app, caller=None),
            running_app(sink_app, caller=None),
            jetstream.bench_stream(server.url) as (_client, js),
        ):
            await _wait_bound(sink)
            await _pipeline_round(source, sink, events=min(1000, context.events))  # warm-up
            for round_number in range(1, context.rounds + 1):
                pipeline = await _pipeline_round(source, sink, events=context.events)
                sync = await jetstream.publish_sync_rate(
                    js, messages=context.events, payload=PAYLOAD
                )
                batched = await jetstream.publish_async_rate(
                    js, messages=context.events, payload=PAYLOAD
                )
                records[names[0]].append(pipeline)
                records[names[1]].append({"events_per_s": sync.per_second, "seconds": sync.seconds})
                records[names[2]].append(
                    {"events_per_s": batched.per_second, "seconds": batched.seconds}
                )
                context.progress(
                    f"    round {round_number}: pipeline {pipeline['events_per_s']:,.0f}/s "
                    f"(producer wrote at {pipeline['write_events_per_s']:,.0f}/s, relay published "
                    f"at {pipeline['relayed_events_per_s']:,.0f}/s), raw sync "
                    f"{sync.per_second:,.0f}/s, raw async {batched.per_second:,.0f}/s"
                )
    finally:
        server.stop()
    return records


async def _wait_bound(sink: Runtime) -> None:
    async with asyncio.timeout(30):
        while "benchsrc" not in sink.consumer.bound:  # noqa: ASYNC110 - a set, no event
            await asyncio.sleep(0.05)


def run(context: Context) -> ScenarioResult:
    context.progress(f"P4 {TITLE} ({context.events:,} events per round)")
    with context.profiling("p4", {"bench": [os.getpid()]}):
        records = asyncio.run(_measure(context))
    names = list(records)
    rates = {name: Spread.of([r["events_per_s"] for r in records[name]]) for name in names}
    pipeline, sync, batched = names
    ratios = {
        "pipeline/raw publish_async": ratio(rates[pipeline].median, rates[batched].median),
        "pipeline/raw sync publish": ratio(rates[pipeline].median, rates[sync].median),
    }
    table = ResultTable(["path", "events/s", "seconds per round", "ratio to pipeline"])
    for name in names:
        seconds = Spread.of([r["seconds"] for r in records[name]])
        table.add(
            name,
            fmt_spread(rates[name]),
            fmt_spread(seconds, 2),
            fmt_ratio(ratio(rates[name].median, rates[pipeline].median)),
        )
    producer_rate = Spread.of([r["write_events_per_s"] for r in records[pipeline]])
    relay_rate = Spread.of([r["relayed_events_per_s"] for r in records[pipeline]])
    file, relative = context.plot("p4_event_throughput")
    candidate_figure(
        file,
        f"P4 events/s ({context.events:,} events per round)",
        [
            Panel(
                "throughput",
                "events/s",
                {n: [r["events_per_s"] for r in records[n]] for n in names},
            )
        ],
    )
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            "rounds": context.rounds,
            "events per round": context.events,
            "events per producer transaction": BATCH,
            "storage": "SQLite files (producer and consumer each its own), JetStream file store",
        },
        table=table,
        rounds=records,
        ratios=ratios,
        goals=[
            Goal("pipeline/raw publish_async", ">=", 0.3, ratios["pipeline/raw publish_async"]),
            Goal("pipeline/raw sync publish", ">=", 0.3, ratios["pipeline/raw sync publish"]),
        ],
        facts=[
            "Ratios of medians: "
            + ", ".join(f"{name} {fmt_ratio(value)}" for name, value in ratios.items()),
            f"The producer alone wrote (rows + outbox) at {fmt_spread(producer_rate)} events/s, "
            f"and its relay had published all of them to JetStream at {fmt_spread(relay_rate)} "
            "events/s (first write → last publish acked), while the consumer ran beside them.",
            "All of it runs in one Python process (one core): producer, relay, consumer and the "
            "raw loops alike; in `bazaar up` producer and consumer are separate processes.",
        ],
        plots=[relative],
    )
