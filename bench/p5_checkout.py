"""P5 — checkout: orders confirmed per second and POST → confirmed, beside single-service writes.

In one run on one platform: closed-loop shoppers (each its own user) buy one unit each through
the gateway — cart, add, order with a good card, wait until confirmed — first each on its own
SKU, then all on the same SKU (contention on one stock row). Beside them, the platform's
single-service write rate (price PUTs by as many closed-loop writers) and P3's single-writer
write → visible in the catalog, the references of the two goals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

import aiohttp
import nats

from bench.context import Context
from bench.cpu import CpuSnapshot, CpuUsage
from bench.p3_probe import EventTrail, Watcher, write_and_watch
from bench.p3_probe import create_skus as create_p3_skus
from bench.p3_probe import sku as p3_sku
from bench.p5_probe import (
    ADMIN,
    CheckoutSamples,
    Settlements,
    Shopper,
    checkout,
    create_skus,
    price_writes,
    shoppers,
    sku,
)
from bench.platform import MERCHANDISER, Api, Platform
from bench.results import Goal, ScenarioResult, Table, fmt, fmt_ratio
from bench.stats import latency_summary, median, ratio

ID = "P5"
TITLE = "checkout: orders confirmed per second, POST → confirmed"
DISTINCT = "checkout, each client its own SKU"
CONTENDED = "checkout, every client the same SKU"
WRITES = "price PUT (pricing alone)"
VISIBLE = "P3 reference: 1 writer, PUT → visible in catalog"


class _Measurement:
    def __init__(self, context: Context, platform: Platform) -> None:
        self.context = context
        self.platform = platform
        self.checkout: dict[str, list[CheckoutSamples]] = {DISTINCT: [], CONTENDED: []}
        self.write_rate: list[float] = []
        self.put_ms: list[list[float]] = []
        self.visible_ms: list[list[float]] = []
        self.cpu: dict[str, list[CpuUsage]] = {DISTINCT: [], CONTENDED: []}

    async def run(self) -> None:
        context, platform = self.context, self.platform
        clients, orders = context.clients, context.orders
        operator = await nats.connect(
            platform.nats_url, user="operator", password=platform.nats_operator_password()
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            api = Api(session, platform.gateway)
            merch = await api.sign_in(MERCHANDISER)
            context.progress(f"    creating bench SKUs and {clients} shoppers")
            await create_p3_skus(api, merch, clients)
            stock = orders * (context.rounds + 1) + clients
            await create_skus(api, merch, count=clients, stock=stock)
            tokens = await shoppers(api, await api.sign_in(ADMIN), clients)
            settlements = Settlements(operator)
            await settlements.start()
            buyers = [Shopper(api, token, settlements) for token in tokens]
            trail = EventTrail(operator)
            await trail.start()
            watcher = Watcher(session, platform.url_of("catalog"), platform.assertion)
            watching = asyncio.create_task(watcher.run())
            amounts = itertools.count(int(time.time()) % 100_000 * 10 + 900_000)
            try:
                context.progress("    warming up: one order per shopper, one write per SKU")
                await checkout(buyers, orders=clients, skus=iter(sku(n) for n in range(1, 99)))
                await write_and_watch(
                    api, merch, watcher, trail, writers=1, writes=clients, amounts=amounts
                )
                for number in range(1, context.rounds + 1):
                    merch = await api.sign_in(MERCHANDISER)
                    await self._round(number, api, merch, buyers, watcher, trail, amounts)
            finally:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
                await trail.stop()
                await settlements.stop()
                await operator.close()

    async def _round(
        self,
        number: int,
        api: Api,
        merch: str,
        buyers: list[Shopper],
        watcher: Watcher,
        trail: EventTrail,
        amounts: itertools.count[int],
    ) -> None:
        context = self.context
        rate, put_ms = await price_writes(
            api,
            merch,
            writers=context.clients,
            writes=context.writes,
            codes=[p3_sku(n) for n in range(1, context.clients + 1)],
        )
        self.write_rate.append(rate)
        self.put_ms.append(put_ms)
        context.progress(f"    round {number} {WRITES}: {rate:.1f} writes/s")
        visible = await write_and_watch(
            api, merch, watcher, trail, writers=1, writes=context.writes, amounts=amounts
        )
        self.visible_ms.append(visible.upper_ms)
        stats = latency_summary(visible.upper_ms)
        context.progress(f"    round {number} {VISIBLE}: p99 {stats['p99_ms']:.1f} ms")
        cases = {
            DISTINCT: iter(sku(n) for n in range(1, context.clients + 1)),
            CONTENDED: itertools.repeat(sku(1)),
        }
        for name, skus in cases.items():
            before = CpuSnapshot.take(self.platform.pids())
            samples = await checkout(buyers, orders=context.orders, skus=skus)
            self.cpu[name].append(CpuUsage.between(before, CpuSnapshot.take(self.platform.pids())))
            self.checkout[name].append(samples)
            stats = latency_summary(samples.confirmed_ms)
            context.progress(
                f"    round {number} {name}: {samples.rate:.2f} orders/s, "
                f"p50 {stats['p50_ms']:.0f} ms, p99 {stats['p99_ms']:.0f} ms, "
                f"{samples.not_confirmed} not confirmed"
            )


def _cpu_fact(name: str, usages: list[CpuUsage]) -> str:
    groups = sorted({g for u in usages for g in u.groups})
    used = {g: median([u.groups.get(g, 0.0) for u in usages]) for g in groups}
    parts = [f"{g} {v:.2f}" for g, v in sorted(used.items(), key=lambda i: -i[1]) if v >= 0.05]
    machine = median([u.machine_busy_cores for u in usages])
    return f"CPU during *{name}* (cores): {', '.join(parts)}; machine busy {machine:.2f}"


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P5 {TITLE}")
    measured = _Measurement(context, platform)
    with context.profiling("p5", platform.pids()):
        asyncio.run(measured.run())
    write_rate = median(measured.write_rate)
    put = latency_summary([s for r in measured.put_ms for s in r])
    visible = latency_summary([s for r in measured.visible_ms for s in r])
    table = Table(
        ["path", "samples", "per second", "p50 ms", "p99 ms", "max ms", "rate / write rate"]
    )
    table.add(
        WRITES,
        fmt(put["count"]),
        fmt(write_rate, 1),
        fmt(put["p50_ms"], 1),
        fmt(put["p99_ms"], 1),
        fmt(put["max_ms"], 1),
        "1.00x",
    )
    table.add(
        VISIBLE,
        fmt(visible["count"]),
        "",
        fmt(visible["p50_ms"], 1),
        fmt(visible["p99_ms"], 1),
        fmt(visible["max_ms"], 1),
        "",
    )
    pooled = {}
    rates = {}
    for name, rounds in measured.checkout.items():
        pooled[name] = latency_summary([s for r in rounds for s in r.confirmed_ms])
        rates[name] = median([r.rate for r in rounds])
        table.add(
            name,
            fmt(pooled[name]["count"]),
            fmt(rates[name], 2),
            fmt(pooled[name]["p50_ms"], 0),
            fmt(pooled[name]["p99_ms"], 0),
            fmt(pooled[name]["max_ms"], 0),
            fmt_ratio(ratio(rates[name], write_rate)),
        )
    ratios = {
        "orders/s / writes/s": ratio(rates[DISTINCT], write_rate),
        "orders/s / writes/s, same SKU": ratio(rates[CONTENDED], write_rate),
        "p99 confirmed / P3 1-writer p99": ratio(pooled[DISTINCT]["p99_ms"], visible["p99_ms"]),
        "p99 confirmed / P3 1-writer p99, same SKU": ratio(
            pooled[CONTENDED]["p99_ms"], visible["p99_ms"]
        ),
    }
    failed = {
        name: sum(r.not_confirmed for r in rounds) for name, rounds in measured.checkout.items()
    }
    post = {
        name: latency_summary([s for r in rounds for s in r.post_ms])
        for name, rounds in measured.checkout.items()
    }
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            "rounds": context.rounds,
            "orders per case and round": context.orders,
            "clients (one shopper each)": context.clients,
            "price writes per round": context.writes,
            "order confirmed": "seen on the bus, then one GET",
        },
        table=table,
        rounds={
            name: [{**latency_summary(r.confirmed_ms), "per_second": r.rate} for r in rounds]
            for name, rounds in measured.checkout.items()
        }
        | {
            WRITES: [
                {**latency_summary(p), "per_second": w}
                for p, w in zip(measured.put_ms, measured.write_rate, strict=True)
            ],
            VISIBLE: [latency_summary(r) for r in measured.visible_ms],
        },
        ratios=ratios,
        goals=[
            Goal("orders/s / writes/s", ">=", 0.2, ratios["orders/s / writes/s"]),
            Goal(
                "orders/s / writes/s, same SKU", ">=", 0.2, ratios["orders/s / writes/s, same SKU"]
            ),
            Goal(
                "p99 confirmed / P3 1-writer p99",
                "<=",
                10,
                ratios["p99 confirmed / P3 1-writer p99"],
            ),
            Goal(
                "p99 confirmed / P3 1-writer p99, same SKU",
                "<=",
                10,
                ratios["p99 confirmed / P3 1-writer p99, same SKU"],
            ),
        ],
        facts=[
            "Each client is its own shopper and runs a closed loop: create a cart, add one unit, "
            "POST the order (good test card, an Idempotency-Key), wait for the order's "
            "`order.confirmed` on the bus (seen passively, as the operator), then "
            "`GET /order/1/orders/{id}` to see it confirmed, then the next. Orders/s counts "
            "confirmed orders over the case's wall time (cart and add included); the latency is "
            "POST sent → that GET returned (an upper bound).",
            "The POST alone (order placed, answered 201) took p50/p99 "
            + "; ".join(
                f"{fmt(s['p50_ms'], 1)} / {fmt(s['p99_ms'], 1)} ms in *{n}*"
                for n, s in post.items()
            )
            + ". Orders not confirmed within 30 s (or cancelled): "
            + ", ".join(f"{count} in *{name}*" for name, count in failed.items())
            + ".",
            f"The write rate: {context.clients} closed-loop writers PUT prices through the gateway "
            "(each PUT answered once pricing committed it with its outbox row), as P3's writers "
            "do but without waiting for the catalog. The P3 reference is P3's single-writer "
            "write → visible in the catalog, measured here in the same run.",
            *(_cpu_fact(name, usages) for name, usages in measured.cpu.items()),
        ],
        extra={
            "samples_ms": {
                name: [[round(s, 3) for s in r.confirmed_ms] for r in rounds]
                for name, rounds in measured.checkout.items()
            },
        },
    )
