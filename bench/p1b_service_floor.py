"""P1b — what one service request costs against the framework's own floor: a bare FastAPI
hello-world on uvicorn (bench/hello.py) in the same rounds as the catalog's cheapest reads.

The catalog runs alone (bench/catalog_alone.py: the real app on a seeded database, a secret of
its own standing in for the gateway's), so this scenario needs no `bazaar up` and isolates the
service's own cost. Each request carries its own pre-minted assertion (a service accepts each
once), so it runs the full path: identity check, observability, routing, the query, the JSON.
Goals (issue 12): category list >= 0.5x hello, category page >= 0.35x. (The page through the
gateway is P1 (a) and P2.) The CPU each process spends per request is reported beside it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bazaar_chassis.caller import GUEST
from bazaar_platform.assertions import AssertionSigner, service_key
from bench.context import Context
from bench.load import Target, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import MINTED_TTL_SECONDS
from bench.processes import helper_process
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P1b"
TITLE = "one service request against the framework's floor (bare FastAPI hello-world)"
PAGE = "/catalog/1/categories/coffee/products?limit=10"
LIST = "/catalog/1/categories"
HELLO = "hello-world (bare FastAPI, uvicorn)"
LIST_DIRECT, PAGE_DIRECT = "category list direct", "category page direct"


def _minter(signer: AssertionSigner, path_qs: str) -> Callable[[], str]:
    path, _, query = path_qs.partition("?")
    return lambda: signer.assertion(GUEST, audience="catalog", method="GET", path=path, query=query)


def _per_request_us(records: dict[str, list[dict[str, float]]], name: str, process: str) -> float:
    cores = spread(records, name, f"cores.{process}").median
    return ratio(cores, spread(records, name, "requests_per_s").median) * 1e6


def run(context: Context) -> ScenarioResult:
    context.progress(f"P1b {TITLE}")
    logs = context.workdir / "p1b"
    logs.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32).encode()
    catalog_key = logs / "catalog-assertion.key"
    catalog_key.write_text(service_key(secret, "catalog"))
    signer = AssertionSigner(secret, ttl_seconds=MINTED_TTL_SECONDS)
    with (
        helper_process("hello", log_dir=logs) as hello,
        helper_process(
            "catalog_alone",
            "--data-dir",
            str(logs / "catalog-data"),
            "--assertion-key-file",
            str(catalog_key),
            log_dir=logs,
        ) as catalog,
    ):
        targets = {
            HELLO: Target(hello.url + "/hello"),
            LIST_DIRECT: Target(catalog.url + LIST, mint=_minter(signer, LIST)),
            PAGE_DIRECT: Target(catalog.url + PAGE, mint=_minter(signer, PAGE)),
        }

        def processes() -> dict[str, list[int]]:
            return {"hello": [hello.pid], "catalog": [catalog.pid]}

        records = context.measure("p1b", targets, watched=processes, scratch=logs)
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    ratios = {
        "category list direct / hello": ratio(rps[LIST_DIRECT], rps[HELLO]),
        "category page direct / hello": ratio(rps[PAGE_DIRECT], rps[HELLO]),
    }
    cpu_us = {
        "hello CPU per request us": _per_request_us(records, HELLO, "hello"),
        "catalog CPU per request us, list": _per_request_us(records, LIST_DIRECT, "catalog"),
        "catalog CPU per request us, page": _per_request_us(records, PAGE_DIRECT, "catalog"),
    }
    file, relative = context.plot("p1b_service_floor")
    throughput_plot(file, "P1b one request against the framework's floor", records)
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            **context.wrk_settings(),
            "endpoints": f"/hello, {LIST} and {PAGE}",
        },
        table=table_of(records),
        rounds=records,
        ratios={**ratios, **cpu_us},
        goals=[
            Goal(name, ">=", target, ratios[name])
            for name, target in (
                ("category list direct / hello", 0.5),
                ("category page direct / hello", 0.35),
            )
        ],
        facts=[
            "Ratios of medians: "
            + ", ".join(f"{name} {fmt_ratio(value)}" for name, value in ratios.items()),
            "CPU per request (the process's CPU seconds / requests, medians): "
            + ", ".join(f"{name.replace(' us', '')} {us:,.0f} µs" for name, us in cpu_us.items()),
            "Direct arms send every request its own gateway assertion, minted before the run "
            "(a service accepts each assertion once); errors would show requests that ran out.",
            *cpu_facts(records),
        ],
        plots=[relative],
    )
