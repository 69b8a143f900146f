"""P2 — what the gateway costs: the same endpoint direct to the catalog vs through the gateway,
on the category page and on the cheapest catalog read (the category list, where the gateway's
share of the work is largest).

Direct: wrk talks to the catalog instance's own port with an identity assertion minted with the
gateway's key (what the gateway would have attached). Through the gateway: a customer's Bearer
token, so the full path runs — authentication (JWT, cached per token), rate limiting (switched
off for benchmarks, so only its bypass), authorization against the compiled policy, assertion
signing (cached per caller), proxying over the keep-alive pool, metrics. Goal: throughput
through the gateway >= 0.5 x direct, judged on the cheap endpoint.
"""

from __future__ import annotations

import asyncio

import aiohttp

from bench.context import Context
from bench.load import Target, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import CUSTOMER, Api, Platform
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P2"
TITLE = "gateway overhead: the same endpoint direct vs through the gateway"
PAGE = "/catalog/1/categories/coffee/products?limit=10"
LIGHT = "/catalog/1/categories"
DIRECT, GATEWAY = "page direct to catalog", "page through gateway (customer)"
LIGHT_DIRECT, LIGHT_GATEWAY = "category list direct", "category list through gateway (customer)"


async def _customer_token(platform: Platform) -> str:
    async with aiohttp.ClientSession() as session:
        return await Api(session, platform.gateway).sign_in(CUSTOMER)


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P2 {TITLE}")
    token = asyncio.run(_customer_token(platform))
    # Assertions are single-use: the direct arms send each request its own, minted before the
    # run (bench.load.Target.mint), as the gateway mints one per request.
    bearer = {"Authorization": f"Bearer {token}"}
    catalog = platform.url_of("catalog")
    targets = {
        DIRECT: Target(catalog + PAGE, mint=platform.minter(PAGE)),
        GATEWAY: Target(platform.gateway + PAGE, bearer),
        LIGHT_DIRECT: Target(catalog + LIGHT, mint=platform.minter(LIGHT)),
        LIGHT_GATEWAY: Target(platform.gateway + LIGHT, bearer),
    }
    records = context.measure("p2", targets, watched=platform.pids, scratch=context.workdir / "p2")
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    p50 = {name: spread(records, name, "p50_ms").median for name in records}
    p99 = {name: spread(records, name, "p99_ms").median for name in records}
    ratios = {
        "gateway/direct throughput, category list": ratio(rps[LIGHT_GATEWAY], rps[LIGHT_DIRECT]),
        "gateway/direct throughput, category page": ratio(rps[GATEWAY], rps[DIRECT]),
        "added p50 ms, category list": p50[LIGHT_GATEWAY] - p50[LIGHT_DIRECT],
        "added p99 ms, category list": p99[LIGHT_GATEWAY] - p99[LIGHT_DIRECT],
        "added p50 ms, category page": p50[GATEWAY] - p50[DIRECT],
        "added p99 ms, category page": p99[GATEWAY] - p99[DIRECT],
    }
    gateway_cores = spread(records, LIGHT_GATEWAY, "cores.gateway").median
    per_request_us = ratio(gateway_cores, rps[LIGHT_GATEWAY]) * 1e6
    file, relative = context.plot("p2_gateway_overhead")
    throughput_plot(file, "P2 gateway overhead", records)
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            **context.wrk_settings(),
            "endpoints": f"{LIGHT} and {PAGE}",
        },
        table=table_of(records),
        rounds=records,
        ratios={**ratios, "gateway CPU per request us": per_request_us},
        goals=[
            Goal(
                "gateway/direct throughput, category list",
                ">=",
                0.5,
                ratios["gateway/direct throughput, category list"],
            )
        ],
        facts=[
            "Throughput ratio gateway/direct: category list "
            f"{fmt_ratio(ratios['gateway/direct throughput, category list'])}, category page "
            f"{fmt_ratio(ratios['gateway/direct throughput, category page'])}; on the category "
            f"list the gateway adds {ratios['added p50 ms, category list']:.1f} ms at p50 and "
            f"{ratios['added p99 ms, category list']:.1f} ms at p99 (differences of medians).",
            f"The gateway process spends {per_request_us:,.0f} µs of CPU per request on the "
            "category list (its CPU seconds / requests).",
            *cpu_facts(records),
        ],
        plots=[relative],
    )
