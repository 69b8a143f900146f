"""P3 — event propagation: a price write acknowledged → the new price visible in the catalog.

A merchandiser PUTs a price through the gateway; pricing commits it with its event in the
outbox, answers, and its relay publishes; the catalog's durable consumer applies it to its copy.
We time from the PUT's answer (the write is acknowledged) to the first catalog read, straight to
the catalog instance, that shows the new amount (see p3_probe for how, and its resolution). Each
writer waits for its write to show before writing again (a closed loop), with 1 writer and with
many, each on its own SKU.

Beside it, in the same run and on the same nats-server, raw JetStream (nats-py as the operator,
a stream of our own): publish → a push consumer got it, with 1 and with many publishers in the
same closed loop. And raw JetStream consumed the way the chassis consumes (a durable pull
consumer, `fetch(100, timeout=2)`), to see whether that fetch pattern costs latency by itself.
Goal: platform p99 within 10x of raw JetStream's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from typing import Any

import aiohttp

from bench import jetstream
from bench.context import Context
from bench.cpu import CpuSnapshot, CpuUsage
from bench.p3_probe import (
    CATEGORY,
    CONFIGURATION_CAP_S,
    VISIBLE_TIMEOUT_S,
    EventTrail,
    Watcher,
    create_skus,
    write_and_watch,
)
from bench.platform import MERCHANDISER, Api, Platform
from bench.plots import Panel, candidate_figure
from bench.results import Goal, ScenarioResult, Table, fmt, fmt_ratio
from bench.stats import latency_summary, median, percentile, ratio

ID = "P3"
TITLE = "event propagation: price write acknowledged → visible in the catalog"
Samples = dict[str, list[list[float]]]  # configuration -> per round -> ms


async def _raw_samples(js: Any, *, publishers: int, writes: int, style: str) -> list[float]:
    async with asyncio.timeout(CONFIGURATION_CAP_S + VISIBLE_TIMEOUT_S):
        return await jetstream.publish_to_consume_ms(
            js, publishers=publishers, messages=writes, style=style
        )


class _Measurement:
    """Runs every configuration once per round and keeps what each produced."""

    def __init__(self, context: Context, platform: Platform) -> None:
        self.context = context
        self.platform = platform
        many = context.writers
        self.platform_names = {1: "platform, 1 writer", many: f"platform, {many} writers"}
        self.raw_names = {
            (1, "push"): "raw JetStream, 1 publisher",
            (many, "push"): f"raw JetStream, {many} publishers",
            (1, "chassis-fetch"): "raw JetStream + chassis fetch, 1 publisher",
            (many, "chassis-fetch"): f"raw JetStream + chassis fetch, {many} publishers",
        }
        names = [*self.platform_names.values(), *self.raw_names.values()]
        on_platform = list(self.platform_names.values())
        self.upper: Samples = {name: [] for name in names}
        self.hops: dict[str, Samples] = {
            hop: {name: [] for name in on_platform} for hop in ("lower", "stored", "applied", "put")
        }
        self.cpu: dict[str, list[CpuUsage]] = {name: [] for name in on_platform}
        self.poll_rates: dict[str, list[float]] = {name: [] for name in on_platform}
        self.amounts = itertools.count(int(time.time()) % 100_000 * 10 + 2000)

    async def run(self) -> None:
        context, platform = self.context, self.platform
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            jetstream.bench_stream(
                platform.nats_url, user="operator", password=platform.nats_operator_password()
            ) as (client, js),
        ):
            api = Api(session, platform.gateway)
            token = await api.sign_in(MERCHANDISER)
            context.progress(f"    creating {context.writers} bench SKUs in category {CATEGORY}")
            await create_skus(api, token, context.writers)
            trail = EventTrail(client)
            await trail.start()
            watcher = Watcher(session, platform.url_of("catalog"), platform.assertion)
            watching = asyncio.create_task(watcher.run())
            try:
                context.progress("    warming up: one write per bench SKU, until each is visible")
                await write_and_watch(
                    api,
                    token,
                    watcher,
                    trail,
                    writers=context.writers,
                    writes=context.writers,
                    amounts=self.amounts,
                )
                for round_number in range(1, context.rounds + 1):
                    token = await api.sign_in(MERCHANDISER)  # tokens live 15 minutes
                    await self._platform_round(round_number, api, token, watcher, trail)
                    await self._raw_round(round_number, js)
            finally:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
                await trail.stop()

    async def _platform_round(
        self, number: int, api: Api, token: str, watcher: Watcher, trail: EventTrail
    ) -> None:
        for writers, name in self.platform_names.items():
            before = CpuSnapshot.take(self.platform.pids())
            samples = await write_and_watch(
                api,
                token,
                watcher,
                trail,
                writers=writers,
                writes=self.context.writes,
                amounts=self.amounts,
            )
            self.cpu[name].append(CpuUsage.between(before, CpuSnapshot.take(self.platform.pids())))
            self.upper[name].append(samples.upper_ms)
            self.hops["lower"][name].append(samples.lower_ms)
            self.hops["stored"][name].append(samples.stored_ms)
            self.hops["applied"][name].append(samples.applied_ms)
            self.hops["put"][name].append(samples.put_ms)
            self.poll_rates[name].append(samples.polls / max(samples.seconds, 1e-9))
            self.context.progress(_line(number, name, samples.upper_ms, samples.applied_ms))

    async def _raw_round(self, number: int, js: Any) -> None:
        for (publishers, style), name in self.raw_names.items():
            samples = await _raw_samples(
                js, publishers=publishers, writes=self.context.writes, style=style
            )
            self.upper[name].append(samples)
            self.context.progress(_line(number, name, samples, None))


def _line(number: int, name: str, upper: list[float], applied: list[float] | None) -> str:
    stats = latency_summary(upper)
    bracket = ""
    if applied is not None:
        clean = [s for s in applied if not math.isnan(s)]
        bracket = (
            f" (applied by the catalog: p50 {percentile(clean, 0.5):.1f}, "
            f"p99 {percentile(clean, 0.99):.1f})"
        )
    return (
        f"    round {number} {name}: n={stats['count']:.0f} "
        f"p50 {stats['p50_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms{bracket}"
    )


def _pooled(samples: Samples) -> dict[str, dict[str, float]]:
    return {
        name: latency_summary([s for r in rounds for s in r if not math.isnan(s)])
        for name, rounds in samples.items()
    }


def _cpu_fact(name: str, usages: list[CpuUsage]) -> str:
    groups = sorted({g for u in usages for g in u.groups})
    used = {g: median([u.groups.get(g, 0.0) for u in usages]) for g in groups}
    parts = [f"{g} {v:.2f}" for g, v in sorted(used.items(), key=lambda i: -i[1]) if v >= 0.05]
    machine = median([u.machine_busy_cores for u in usages])
    return (
        f"CPU during *{name}* (cores, median over rounds): {', '.join(parts)}; "
        f"machine busy {machine:.2f} (the rest is this harness — writers and watcher — and others)"
    )


def _pair(stats: dict[str, float]) -> str:
    return f"{fmt(stats['p50_ms'], 1)} / {fmt(stats['p99_ms'], 1)}"


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P3 {TITLE}")
    measured = _Measurement(context, platform)
    with context.profiling("p3", platform.pids()):
        asyncio.run(measured.run())
    upper = _pooled(measured.upper)
    hops = {hop: _pooled(samples) for hop, samples in measured.hops.items()}
    one, many = measured.platform_names[1], measured.platform_names[context.writers]
    raw_one = measured.raw_names[(1, "push")]
    raw_many = measured.raw_names[(context.writers, "push")]
    raw_for = {one: raw_one, many: raw_many}
    table = Table(
        [
            "path",
            "samples",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p99 / raw p99",
            "of which stored in JetStream p50 / p99",
            "applied by catalog p50 / p99",
            "PUT p50 / p99",
        ]
    )
    for name, stats in upper.items():
        reference = raw_for.get(name)
        on_platform = name in hops["put"]
        table.add(
            name,
            fmt(stats["count"]),
            fmt(stats["p50_ms"], 1),
            fmt(stats["p99_ms"], 1),
            fmt(stats["max_ms"], 1),
            fmt_ratio(ratio(stats["p99_ms"], upper[reference]["p99_ms"])) if reference else "",
            _pair(hops["stored"][name]) if on_platform else "",
            _pair(hops["applied"][name]) if on_platform else "",
            _pair(hops["put"][name]) if on_platform else "",
        )
    ratios = {}
    for label, platform_name, raw_name in (("1 writer", one, raw_one), ("many", many, raw_many)):
        raw = upper[raw_name]
        ratios[f"p99 visible/raw, {label}"] = ratio(upper[platform_name]["p99_ms"], raw["p99_ms"])
        ratios[f"p50 visible/raw, {label}"] = ratio(upper[platform_name]["p50_ms"], raw["p50_ms"])
        applied = hops["applied"][platform_name]
        ratios[f"p99 applied/raw, {label}"] = ratio(applied["p99_ms"], raw["p99_ms"])
    # P3b (issue 12): many writers must not queue each other's events far behind one writer's.
    ratios["p99 visible, many/1 writer"] = ratio(upper[many]["p99_ms"], upper[one]["p99_ms"])
    ratios["p99 PUT, many/1 writer"] = ratio(
        hops["put"][many]["p99_ms"], hops["put"][one]["p99_ms"]
    )
    file, relative = context.plot("p3_event_propagation")
    names = list(upper)
    candidate_figure(
        file,
        "P3 write acknowledged → visible (pooled over rounds)",
        [
            Panel("p50", "ms", {n: [upper[n]["p50_ms"]] for n in names}, log=True),
            Panel("p99", "ms", {n: [upper[n]["p99_ms"]] for n in names}, log=True),
        ],
    )
    polls = {name: median(rates) for name, rates in measured.poll_rates.items()}
    lower = hops["lower"]
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            "rounds": context.rounds,
            "writes per configuration and round": context.writes,
            "many writers": context.writers,
            "poll interval": "2 ms, one poll in flight",
        },
        table=table,
        rounds={
            name: [latency_summary(r) for r in rounds] for name, rounds in measured.upper.items()
        },
        ratios=ratios,
        goals=[
            Goal("p99 visible/raw, 1 writer", "<=", 10, ratios["p99 visible/raw, 1 writer"]),
            Goal(
                f"p99 visible/raw, {context.writers} writers",
                "<=",
                10,
                ratios["p99 visible/raw, many"],
            ),
            Goal(
                f"p99 visible, {context.writers} writers / 1 writer",
                "<=",
                5,
                ratios["p99 visible, many/1 writer"],
            ),
        ],
        facts=[
            "Percentiles over all samples of all rounds, from the PUT's acknowledgement to the "
            "return of the first catalog poll that showed the new price (an upper bound; the "
            f"lower bounds are p50/p99 {_pair(lower[one])} ms with 1 writer and "
            f"{_pair(lower[many])} ms with {context.writers}). Every sample is in the JSON.",
            "The hops are seen passively on NATS as the operator: *stored* when the price event "
            "reached the PRICING stream (pricing's outbox relay), *applied* when the catalog's "
            "durable consumer acked it, which it does after its database commit.",
            "Raw JetStream: nats-py publish (awaiting the stream's ack) → a push consumer "
            "received it. 'chassis fetch': the same, consumed as bazaar_chassis.consumer does.",
            "The watcher polled the catalog "
            + ", ".join(f"{rate:,.0f}/s during *{name}*" for name, rate in polls.items())
            + ".",
            *(_cpu_fact(name, usages) for name, usages in measured.cpu.items()),
        ],
        plots=[relative],
        extra={
            "pooled_visible": upper,
            "pooled_hops": hops,
            "samples_ms": {
                name: [[round(s, 3) for s in r] for r in rounds]
                for name, rounds in measured.upper.items()
            },
        },
    )
