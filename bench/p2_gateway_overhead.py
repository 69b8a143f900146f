"""P2 — what the gateway costs: the same endpoint direct to the catalog vs through the gateway,
on the category page and on the cheapest catalog read (the category list, where the gateway's
share of the work is largest).

Direct: wrk talks to the catalog instance's own port with an identity assertion minted with the
gateway's key (what the gateway would have attached). Through the gateway: a customer's Bearer
token, so the full path runs — authentication (JWT, cached per token), rate limiting (switched
off for benchmarks, so only its bypass), authorization against the compiled policy, assertion
signing (one per request), proxying over the keep-alive pool, metrics. Goals: throughput
through the gateway >= 0.5 x direct, judged on the cheap endpoint; the page through the gateway
>= 0.25 x a bare FastAPI hello-world (bench/hello.py) run in the same rounds (issue 12). Then
the page, direct and through the gateway, at 1, 8, 32 and 128 connections: throughput against
concurrency.
"""

from __future__ import annotations

import asyncio

import aiohttp

from bench.context import Context
from bench.load import Target, concurrency_sweep, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import CUSTOMER, Api, Platform
from bench.plots import concurrency_figure
from bench.processes import helper_process
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P2"
TITLE = "gateway overhead: the same endpoint direct vs through the gateway"
PAGE = "/catalog/1/categories/coffee/products?limit=10"
LIGHT = "/catalog/1/categories"
DIRECT, GATEWAY = "page direct to catalog", "page through gateway (customer)"
LIGHT_DIRECT, LIGHT_GATEWAY = "category list direct", "category list through gateway (customer)"
HELLO = "hello-world (bare FastAPI, uvicorn)"


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
    with helper_process("hello", log_dir=context.workdir / "p2") as hello:
        targets = {
            HELLO: Target(hello.url + "/hello"),
            DIRECT: Target(catalog + PAGE, mint=platform.minter(PAGE)),
            GATEWAY: Target(platform.gateway + PAGE, bearer),
            LIGHT_DIRECT: Target(catalog + LIGHT, mint=platform.minter(LIGHT)),
            LIGHT_GATEWAY: Target(platform.gateway + LIGHT, bearer),
        }

        def processes() -> dict[str, list[int]]:
            return {**platform.pids(), "hello": [hello.pid]}

        records = context.measure("p2", targets, watched=processes, scratch=context.workdir / "p2")
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    p50 = {name: spread(records, name, "p50_ms").median for name in records}
    p99 = {name: spread(records, name, "p99_ms").median for name in records}
    ratios = {
        "gateway/direct throughput, category list": ratio(rps[LIGHT_GATEWAY], rps[LIGHT_DIRECT]),
        "gateway/direct throughput, category page": ratio(rps[GATEWAY], rps[DIRECT]),
        "page through gateway / hello": ratio(rps[GATEWAY], rps[HELLO]),
        "page direct / hello": ratio(rps[DIRECT], rps[HELLO]),
        "added p50 ms, category list": p50[LIGHT_GATEWAY] - p50[LIGHT_DIRECT],
        "added p99 ms, category list": p99[LIGHT_GATEWAY] - p99[LIGHT_DIRECT],
        "added p50 ms, category page": p50[GATEWAY] - p50[DIRECT],
        "added p99 ms, category page": p99[GATEWAY] - p99[DIRECT],
    }
    context.progress("    throughput against concurrency, the page direct and through the gateway")
    sweep = concurrency_sweep(
        {name: targets[name] for name in (DIRECT, GATEWAY)},
        load=context.load,
        watched=platform.pids,
        progress=context.progress,
        scratch=context.workdir / "p2",
    )
    sweep_file, sweep_relative = context.plot("p2_concurrency")
    concurrency_figure(sweep_file, "P2 category page: throughput against concurrency", sweep)
    gateway_cores = spread(records, LIGHT_GATEWAY, "cores.gateway").median
    per_request_us = ratio(gateway_cores, rps[LIGHT_GATEWAY]) * 1e6
    page_gateway_us = ratio(spread(records, GATEWAY, "cores.gateway").median, rps[GATEWAY]) * 1e6
    page_catalog_us = ratio(spread(records, DIRECT, "cores.catalog").median, rps[DIRECT]) * 1e6
    hello_us = ratio(spread(records, HELLO, "cores.hello").median, rps[HELLO]) * 1e6
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
        ratios={
            **ratios,
            "gateway CPU per request us": per_request_us,
            "gateway CPU per request us, page": page_gateway_us,
            "catalog CPU per request us, page direct": page_catalog_us,
            "hello CPU per request us": hello_us,
            **{
                f"{name} req/s at -c{count}": rate
                for name, points in sweep.items()
                for count, rate in points.items()
            },
        },
        goals=[
            Goal(
                "gateway/direct throughput, category list",
                ">=",
                0.5,
                ratios["gateway/direct throughput, category list"],
            ),
            Goal(
                "page through gateway / hello",
                ">=",
                0.25,
                ratios["page through gateway / hello"],
            ),
        ],
        facts=[
            "Throughput ratio gateway/direct: category list "
            f"{fmt_ratio(ratios['gateway/direct throughput, category list'])}, category page "
            f"{fmt_ratio(ratios['gateway/direct throughput, category page'])}; on the category "
            f"list the gateway adds {ratios['added p50 ms, category list']:.1f} ms at p50 and "
            f"{ratios['added p99 ms, category list']:.1f} ms at p99 (differences of medians).",
            f"The gateway process spends {per_request_us:,.0f} µs of CPU per request on the "
            f"category list and {page_gateway_us:,.0f} µs on the page (its CPU seconds / "
            f"requests); the catalog {page_catalog_us:,.0f} µs per page direct; the hello-world "
            f"{hello_us:,.0f} µs. Page through the gateway / hello "
            f"{fmt_ratio(ratios['page through gateway / hello'])}, page direct / hello "
            f"{fmt_ratio(ratios['page direct / hello'])}.",
            "Throughput against concurrency (one run each, req/s at -c1 / -c8 / -c32 / -c128): "
            + "; ".join(
                f"{name} " + " / ".join(f"{rate:,.0f}" for _, rate in sorted(points.items()))
                for name, points in sweep.items()
            ),
            *cpu_facts(records),
        ],
        plots=[relative, sweep_relative],
    )
