"""HTTP candidates under wrk, round after round, and the standard way to report them.

P1 and P2 compare several ways to serve one page. Running candidate A for all rounds and then B
would let a colleague's test run (or a CPU frequency change) land on one candidate only; instead
every round runs each candidate once, in the same order, after one short unrecorded warm-up each
(connection pools, caches, lazy imports), and each candidate's figure is its median over rounds.
Between runs we wait until the watched processes are idle again: when wrk stops, a server may
still be finishing what it accepted (the fan-out assembler keeps assembling pages for a second or
more), and that tail must not land in the next candidate's measurement.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpu import CPU_COUNT, CpuSnapshot, CpuUsage
from bench.plots import Panel, candidate_figure
from bench.results import Table, fmt, fmt_spread
from bench.stats import Spread, median
from bench.wrk import LoadSettings, per_request_header_script, run_wrk

Records = dict[str, list[dict[str, float]]]


@dataclass(frozen=True)
class Target:
    """One candidate: the URL wrk hits and the headers it sends (e.g. a Bearer token).

    `mint` makes a fresh single-use header value (an identity assertion for a direct call);
    with it, every request sends its own `minted_header`, minted before the run.
    """

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    mint: Callable[[], str] | None = None
    minted_header: str = "Bazaar-Identity"


MINT_MARGIN = 1.5  # minted values per request the previous run of the target made per second
MINT_FIRST_RATE = 1500.0  # req/s assumed at least (a short warm-up may measure less)


def _script_for(
    target: Target, *, load: LoadSettings, expected_rate: float, directory: Path
) -> Path | None:
    if target.mint is None:
        return None
    count = int(expected_rate * MINT_MARGIN * load.duration_s) + load.connections
    return per_request_header_script(
        directory,
        header=target.minted_header,
        values=[target.mint() for _ in range(count)],
        threads=load.threads,
    )


SETTLE_IDLE_CORES = 0.15  # the watched processes together use less than this...
SETTLE_WINDOW_S = 0.25  # ...over a window this long
SETTLE_MAX_S = 15.0


def settle(watched: Mapping[str, Sequence[int]]) -> float:
    """Wait until the watched processes are idle; returns how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_MAX_S:
        before = CpuSnapshot.take(watched)
        time.sleep(SETTLE_WINDOW_S)
        usage = CpuUsage.between(before, CpuSnapshot.take(watched))
        if sum(usage.groups.values()) < SETTLE_IDLE_CORES:
            break
    return time.monotonic() - started


def alternate_rounds(
    targets: Mapping[str, Target],
    *,
    load: LoadSettings,
    rounds: int,
    warmup_s: int,
    watched: Callable[[], Mapping[str, Sequence[int]]],
    progress: Callable[[str], None] = print,
    scratch: Path | None = None,
) -> Records:
    """Run every target once per round; return its per-round figures (see WrkRun.figures).

    Targets that `mint` need `scratch`, a directory for their wrk scripts."""
    rates = dict.fromkeys(targets, MINT_FIRST_RATE)
    scripts = scratch or Path(tempfile.gettempdir())
    if warmup_s > 0:
        warm = LoadSettings(
            duration_s=warmup_s,
            connections=load.connections,
            threads=load.threads,
            timeout_s=load.timeout_s,
        )
        for name, target in targets.items():
            progress(f"    warm-up {name}")
            script = _script_for(target, load=warm, expected_rate=rates[name], directory=scripts)
            warmed = run_wrk(target.url, load=warm, headers=target.headers, script=script)
            rates[name] = max(rates[name], warmed.report.requests_per_s)
            settle(watched())
    records: Records = {name: [] for name in targets}
    for round_number in range(1, rounds + 1):
        for name, target in targets.items():
            script = _script_for(target, load=load, expected_rate=rates[name], directory=scripts)
            run = run_wrk(
                target.url, load=load, headers=target.headers, watched=watched(), script=script
            )
            rates[name] = max(rates[name], run.report.requests_per_s)
            figures = {**run.figures(), "settle_s": settle(watched())}
            records[name].append(figures)
            progress(
                f"    round {round_number}/{rounds} {name}: "
                f"{figures['requests_per_s']:,.0f} req/s, p50 {figures['p50_ms']:.1f} ms, "
                f"p99 {figures['p99_ms']:.1f} ms, errors {figures['errors']:.0f}, "
                f"wrk {figures['wrk_cores']:.2f} cores"
            )
    return records


CONCURRENCY = (1, 8, 32, 128)


def concurrency_sweep(
    targets: Mapping[str, Target],
    *,
    load: LoadSettings,
    watched: Callable[[], Mapping[str, Sequence[int]]],
    progress: Callable[[str], None] = print,
    scratch: Path | None = None,
    connections: Sequence[int] = CONCURRENCY,
) -> dict[str, dict[int, float]]:
    """Requests/s of each target at each number of connections (one run each, targets
    alternating at every level, the watched processes idle before each run)."""
    scripts = scratch or Path(tempfile.gettempdir())
    series: dict[str, dict[int, float]] = {name: {} for name in targets}
    for count in connections:
        level = LoadSettings(
            duration_s=load.duration_s,
            connections=count,
            threads=min(load.threads, count),
            timeout_s=load.timeout_s,
        )
        for name, target in targets.items():
            script = _script_for(
                target, load=level, expected_rate=2 * MINT_FIRST_RATE, directory=scripts
            )
            run = run_wrk(target.url, load=level, headers=target.headers, script=script)
            settle(watched())
            series[name][count] = run.report.requests_per_s
            progress(f"    -c{count} {name}: {run.report.requests_per_s:,.0f} req/s")
    return series


def spread(records: Records, name: str, figure: str) -> Spread:
    return Spread.of([r.get(figure, math.nan) for r in records[name]])


def throughput_table(records: Records) -> Table:
    """Per candidate: req/s, p50, p99 (median and range over rounds), errors, wrk's CPU."""
    table = Table(
        ["candidate", "req/s", "p50 ms", "p99 ms", "errors", "wrk cores (share of machine)"]
    )
    for name in records:
        wrk_cores = spread(records, name, "wrk_cores").median
        table.add(
            name,
            fmt_spread(spread(records, name, "requests_per_s")),
            fmt_spread(spread(records, name, "p50_ms"), 1),
            fmt_spread(spread(records, name, "p99_ms"), 1),
            fmt(sum(r["errors"] for r in records[name])),
            f"{wrk_cores:.2f} ({100 * spread(records, name, 'wrk_machine_share').median:.0f} %)",
        )
    return table


def cpu_facts(records: Records) -> list[str]:
    """Where the cores went per candidate (median over rounds), busiest processes first."""
    facts = []
    for name, rounds in records.items():
        groups = sorted({k for r in rounds for k in r if k.startswith("cores.")})
        used = {g.removeprefix("cores."): median([r.get(g, 0.0) for r in rounds]) for g in groups}
        busiest = sorted(((v, k) for k, v in used.items() if v >= 0.05), reverse=True)
        parts = [f"{k} {v:.2f}" for v, k in busiest]
        others = median([r["others_cores"] for r in rounds])
        machine = median([r["machine_busy_cores"] for r in rounds])
        facts.append(
            f"CPU during *{name}* (cores, median): {', '.join(parts) or 'none measured'}; "
            f"wrk {median([r['wrk_cores'] for r in rounds]):.2f}; "
            f"everything else on the machine {others:.2f}; machine busy {machine:.2f} of "
            f"{CPU_COUNT}"
        )
    return facts


def throughput_plot(path: Path, title: str, records: Records) -> None:
    names = list(records)
    candidate_figure(
        path,
        title,
        [
            Panel(
                "throughput",
                "requests/s",
                {n: [r["requests_per_s"] for r in records[n]] for n in names},
            ),
            Panel("p50 latency", "ms", {n: [r["p50_ms"] for r in records[n]] for n in names}),
            Panel(
                "p99 latency",
                "ms",
                {n: [r["p99_ms"] for r in records[n]] for n in names},
                log=True,
            ),
        ],
    )
