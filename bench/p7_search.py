"""P7 — search beside the category page, in the same run, both through the gateway as a guest.

(a) the catalog's category page (P1's (a)): one query on the catalog's read model;
(b) a type-ahead search: `q=co` (a prefix matching every coffee), with its facets;
(c) a filtered search: `q=coffee&in_stock=true&max_price=2500` — full text, two filters, facets;
(d) a misspelt search: `q=espreso` — nothing matches as typed, so the vocabulary is asked and
    the query runs again with the correction (the slowest path).

Goal (issue 10): search throughput >= 0.5x the category page's, for (b) and (c).
"""

from __future__ import annotations

from bench.context import Context
from bench.load import Target, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import Platform
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P7"
TITLE = "search beside the category page: queries/s and p99"
PAGE = "/catalog/1/categories/coffee/products?limit=10"
SEARCHES = {
    "b: search, type-ahead": "/search/1/products?q=co&limit=10",
    "c: search, 2 filters": "/search/1/products?q=coffee&in_stock=true&max_price=2500&limit=10",
    "d: search, misspelt": "/search/1/products?q=espreso&limit=10",
}
A = "a: category page"


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P7 {TITLE}")
    targets = {A: Target(platform.gateway + PAGE)}
    targets.update({name: Target(platform.gateway + path) for name, path in SEARCHES.items()})
    records = context.measure("p7", targets, watched=platform.pids)
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    p99 = {name: spread(records, name, "p99_ms").median for name in records}
    ratios = {f"{name[:1]}/a throughput": ratio(rps[name], rps[A]) for name in SEARCHES} | {
        f"{name[:1]}/a p99": ratio(p99[name], p99[A]) for name in SEARCHES
    }
    file, relative = context.plot("p7_search")
    throughput_plot(file, "P7 search beside the category page", records)
    searches = {name[:1]: path for name, path in SEARCHES.items()}
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={**context.wrk_settings(), "page": PAGE, **searches},
        table=table_of(records),
        rounds=records,
        ratios=ratios,
        goals=[
            Goal("b/a throughput (type-ahead vs page)", ">=", 0.5, ratios["b/a throughput"]),
            Goal("c/a throughput (filtered vs page)", ">=", 0.5, ratios["c/a throughput"]),
        ],
        facts=[
            "Ratios of medians: "
            + ", ".join(f"{name} {fmt_ratio(value)}" for name, value in ratios.items()),
            "The demo catalog (36 products): every search also counts its facets over all "
            "matches (category, stock, price band) in a second statement.",
            *cpu_facts(records),
        ],
        plots=[relative],
    )
