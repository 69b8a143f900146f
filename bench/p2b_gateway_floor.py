"""P2b — the gateway's own CPU per request, in front of an upstream cheaper than itself.

In front of the catalog (P2) the gateway waits on a service that costs ten times what it does,
so its own cost is measured at a fraction of the load it could take. Here the upstream is the
bare FastAPI hello-world (bench/hello_service.py), registered as the service `hello` through the
real registry heartbeat, and the policy gains one rule through the gateway's own policy API (an
admin's `PUT /gateway/1/policies`): customers may GET `/hello/*`. wrk then sends a signed-in
customer's Bearer token, so every request runs the full path — authentication (JWT cached per
token), rate limiting (switched off for benchmarks, so only its bypass), authorization against
the compiled policy, an assertion signed per request, the keep-alive hop, metrics and a span.
The hello-world direct runs in the same rounds, and so does the same hello-world through a bare
Python proxy (bench/bare_proxy.py: uvloop and httptools, bytes passed through, no checks): what
any Python gateway pays here before its own work; and through a second gateway on the same bus
that traces a new request in ten (bench/sampled_gateway.py), as a production deployment samples
its traces (docs/adr/0011-trace-sampling.md). Goal (issue 12): gateway CPU seconds / requests
<= 150 µs with authentication, authorization and metrics on, which the sampled gateway is
measured against; the platform's gateway, which traces every request as `bazaar up` does on a
laptop, is reported beside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from bazaar_chassis.testing.waiting import eventually
from bench.context import Context
from bench.hello_service import HELLO_RULE, PATH
from bench.load import Target, cpu_facts, spread, throughput_plot
from bench.load import throughput_table as table_of
from bench.platform import CUSTOMER, Api, Platform, PlatformFailed
from bench.processes import helper_process
from bench.results import Goal, ScenarioResult, fmt_ratio
from bench.stats import ratio

ID = "P2b"
TITLE = "the gateway's own cost, in front of a hello-world upstream"
ADMIN = "admin@bazaar.test"
HELLO_DIRECT = "hello-world direct"
HELLO_GATEWAY = "hello-world through gateway (customer)"
HELLO_BARE_PROXY = "hello-world through a bare proxy (no checks)"
HELLO_SAMPLED = "hello-world through a gateway tracing 1 in 10 (customer)"
GOAL_US = 150.0
HELLO_UNITS_AT_GOAL = GOAL_US / 83.0  # the hello-world cost ~83 µs a request when it was set
ROUTED_TIMEOUT_SECONDS = 30.0


def with_rule(rules: Sequence[Mapping[str, Any]], rule: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The policy's rules with `rule` appended, unless it is there already (same fields)."""
    kept = [dict(r) for r in rules]
    return kept if dict(rule) in kept else [*kept, dict(rule)]


def per_request_us(cores: float, requests_per_s: float) -> float:
    """A process's CPU per request: the cores it used over the requests per second served."""
    return ratio(cores, requests_per_s) * 1e6


async def _allow_customers(api: Api, admin: str) -> None:
    """Add the hello rule with the admin's token, by the policy API every operator uses."""
    document = await api.call("GET", "/gateway/1/policies", token=admin)
    rules = with_rule(document["rules"], HELLO_RULE)
    if len(rules) != len(document["rules"]):
        await api.call(
            "PUT",
            "/gateway/1/policies",
            token=admin,
            json_body={"rules": rules, "version": document["version"]},
        )


async def _routed_customer(platform: Platform, *gateways: str) -> str:
    """A customer's token, once every one of `gateways` routes the customer's GET to the hello
    service (each learns the new rule from the policy bucket on its own)."""
    async with aiohttp.ClientSession() as session:
        api = Api(session, platform.gateway)
        await _allow_customers(api, await api.sign_in(ADMIN))
        token = await api.sign_in(CUSTOMER)

        async def routed() -> str:
            headers = {"Authorization": f"Bearer {token}"}
            for gateway in gateways:
                async with session.get(gateway + PATH, headers=headers) as reply:
                    assert reply.status == 200, f"{gateway}: {reply.status} {await reply.text()}"
            return token

        try:
            return await eventually(routed, timeout=ROUTED_TIMEOUT_SECONDS, interval=0.2)
        except AssertionError as never:
            raise PlatformFailed(f"a gateway never routed {PATH}: {never}") from None


def run(context: Context, platform: Platform) -> ScenarioResult:
    context.progress(f"P2b {TITLE}")
    logs = context.workdir / "p2b"
    with (
        helper_process(
            "hello_service",
            "--nats-url",
            platform.nats_url,
            log_dir=logs,
            env={
                "BAZAAR_BENCH_NATS_USER": "operator",
                "BAZAAR_BENCH_NATS_PASSWORD": platform.nats_operator_password(),
            },
        ) as hello,
        helper_process("bare_proxy", "--upstream", hello.url, log_dir=logs) as bare,
        helper_process(
            "sampled_gateway", "--data-dir", str(platform.data_dir), log_dir=logs
        ) as sampled,
    ):
        token = asyncio.run(_routed_customer(platform, platform.gateway, sampled.url))
        targets = {
            HELLO_DIRECT: Target(hello.url + PATH),
            HELLO_GATEWAY: Target(platform.gateway + PATH, {"Authorization": f"Bearer {token}"}),
            HELLO_BARE_PROXY: Target(bare.url + PATH),
            HELLO_SAMPLED: Target(sampled.url + PATH, {"Authorization": f"Bearer {token}"}),
        }

        def processes() -> dict[str, list[int]]:
            helpers = {"hello": [hello.pid], "bare proxy": [bare.pid], "sampled": [sampled.pid]}
            return {**platform.pids(), **helpers}

        records = context.measure("p2b", targets, watched=processes, scratch=logs)
    rps = {name: spread(records, name, "requests_per_s").median for name in records}
    gateway_us = per_request_us(
        spread(records, HELLO_GATEWAY, "cores.gateway").median, rps[HELLO_GATEWAY]
    )
    sampled_us = per_request_us(
        spread(records, HELLO_SAMPLED, "cores.sampled").median, rps[HELLO_SAMPLED]
    )
    hello_us = per_request_us(
        spread(records, HELLO_DIRECT, "cores.hello").median, rps[HELLO_DIRECT]
    )
    hello_behind_us = per_request_us(
        spread(records, HELLO_GATEWAY, "cores.hello").median, rps[HELLO_GATEWAY]
    )
    gateway_idle_cores = spread(records, HELLO_DIRECT, "cores.gateway").median
    bare_us = per_request_us(
        spread(records, HELLO_BARE_PROXY, "cores.bare proxy").median, rps[HELLO_BARE_PROXY]
    )
    ratios = {
        "gateway CPU per request us": gateway_us,
        "gateway tracing 1 in 10, CPU per request us": sampled_us,
        "gateway tracing 1 in 10 / tracing every request, CPU per request": ratio(
            sampled_us, gateway_us
        ),
        "gateway cores while it serves nothing (direct rounds)": gateway_idle_cores,
        "hello CPU per request us, direct": hello_us,
        "hello CPU per request us, behind the gateway": hello_behind_us,
        "bare proxy CPU per request us": bare_us,
        "gateway CPU per request / hello-world's, direct": ratio(gateway_us, hello_us),
        "gateway tracing 1 in 10, CPU per request / hello-world's": ratio(sampled_us, hello_us),
        "through gateway / direct throughput": ratio(rps[HELLO_GATEWAY], rps[HELLO_DIRECT]),
    }
    file, relative = context.plot("p2b_gateway_floor")
    throughput_plot(file, "P2b the gateway in front of a hello-world", records)
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={**context.wrk_settings(), "endpoint": PATH},
        table=table_of(records),
        rounds=records,
        ratios=ratios,
        goals=[
            Goal(
                "gateway CPU per request in front of hello-world, tracing 1 in 10",
                "<=",
                GOAL_US,
                sampled_us,
                " µs",
            )
        ],
        facts=[
            f"The platform's gateway spends {gateway_us:,.0f} µs of CPU per request (its CPU "
            f"seconds / requests, medians over rounds) with authentication, authorization, "
            f"an assertion per request, metrics and a span per request, exported, as `bazaar up` "
            f"traces every request; a second gateway on the same bus that traces a new request "
            f"in ten, as a production deployment samples, spends {sampled_us:,.0f} µs "
            f"({fmt_ratio(ratio(sampled_us, gateway_us))} of it). The hello-world upstream "
            f"spends {hello_behind_us:,.0f} µs behind the gateway and {hello_us:,.0f} µs direct. "
            f"Through the gateway / direct: "
            f"{fmt_ratio(ratios['through gateway / direct throughput'])}. The two gateways' CPU "
            f"per request is {fmt_ratio(ratio(gateway_us, hello_us))} and "
            f"{fmt_ratio(ratio(sampled_us, hello_us))} the hello-world's "
            f"({HELLO_UNITS_AT_GOAL:.1f} when the goal was set: the machine's "
            "speed varies from day to day, and this ratio less). "
            f"While it serves nothing (the direct rounds) the gateway uses "
            f"{gateway_idle_cores:.3f} "
            "cores (registry watch, span export, the bus). A bare Python proxy (uvloop, "
            f"httptools, no checks) spends {bare_us:,.0f} µs per request in the same rounds: "
            "the floor under any Python gateway here; the rest is the gateway's HTTP server, "
            "its upstream client and its own work.",
            *cpu_facts(records),
        ],
        plots=[relative],
    )
