"""P1 — a category page with 10 products, three ways (the seed's figures 2-10, 2-11, 2-12).

(a) the catalog read model through the gateway, as a guest: one call, one query on the
    catalog's own denormalized copy (fig. 2-12);
(b) the naive synchronous fan-out of fig. 2-11: a page assembler (bench/assembler.py) that per
    request asks category for the placements, then product, pricing and inventory for each of
    the 10 products, all through the gateway — 31 calls, the per-product ones concurrent;
(c) the monolith of fig. 2-10 (bench/monolith.py): one process, one SQLite database with the
    same data, the page from one SQL query.

Goals: a/b >= 10 (the read model is worth it), a/c >= 0.5 (microservices cost at most half of
a monolith's throughput on this page).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from bench.context import Context
from bench.load import Target, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import Platform
from bench.processes import helper_process
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P1"
TITLE = "category page, 10 products: read model vs fan-out vs monolith"
PAGE = "/catalog/1/categories/coffee/products?limit=10"
A, B, C = "a: read model via gateway", "b: fan-out via gateway", "c: monolith"


def _fetch(target: Target) -> Any:
    request = urllib.request.Request(target.url, headers=target.headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 - loopback only
        return json.loads(reply.read())


def _same_page(targets: dict[str, Target]) -> str:
    """Check that the three candidates serve the same items; a benchmark of different pages
    would compare nothing."""
    pages = {name: _fetch(target) for name, target in targets.items()}
    reference = pages[A]["items"]
    differing = [name for name, page in pages.items() if page["items"] != reference]
    if differing:
        return f"the pages differ from (a): {', '.join(differing)} — check the data"
    return f"all three candidates return the same {len(reference)} items (checked before the run)"


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P1 {TITLE}")
    logs = context.workdir / "p1"
    database = logs / "monolith.db"
    database.unlink(missing_ok=True)
    with (
        helper_process("assembler", "--gateway", platform.gateway, log_dir=logs) as assembler,
        helper_process("monolith", "--database", str(database), log_dir=logs) as monolith,
    ):
        targets = {
            A: Target(platform.gateway + PAGE),
            B: Target(assembler.url + "/page/coffee?limit=10"),
            C: Target(monolith.url + PAGE),
        }
        check = _same_page(targets)
        context.progress(f"    {check}")

        def processes() -> dict[str, list[int]]:
            return {**platform.pids(), "assembler": [assembler.pid], "monolith": [monolith.pid]}

        records = context.measure("p1", targets, watched=processes)
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    p50 = {name: spread(records, name, "p50_ms").median for name in records}
    p99 = {name: spread(records, name, "p99_ms").median for name in records}
    ratios = {
        "a/b throughput": ratio(rps[A], rps[B]),
        "a/c throughput": ratio(rps[A], rps[C]),
        "b/a p50": ratio(p50[B], p50[A]),
        "b/a p99": ratio(p99[B], p99[A]),
        "a/c p50": ratio(p50[A], p50[C]),
        "a/c p99": ratio(p99[A], p99[C]),
    }
    file, relative = context.plot("p1_category_page")
    throughput_plot(file, "P1 category page (10 products)", records)
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            **context.wrk_settings(),
            "page": PAGE,
        },
        table=table_of(records),
        rounds=records,
        ratios=ratios,
        goals=[
            Goal("a/b throughput (read model vs fan-out)", ">=", 10, ratios["a/b throughput"]),
            Goal("a/c throughput (read model vs monolith)", ">=", 0.5, ratios["a/c throughput"]),
        ],
        facts=[
            "Ratios of medians: "
            + ", ".join(f"{name} {fmt_ratio(value)}" for name, value in ratios.items()),
            check,
            "(b) is the kindest fan-out: the 30 per-product calls are concurrent "
            "(asyncio.gather) over a 64-connection keep-alive pool, in an aiohttp+uvloop process.",
            *cpu_facts(records),
        ],
        plots=[relative],
    )
