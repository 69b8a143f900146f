"""P6 — footprint: how long `bazaar up` takes to be ready, and how much memory the platform holds.

Each start uses a fresh data dir (so it includes creating the secrets, the databases, the
streams and seeding the demo catalog — a first start, the slowest kind). Timed from spawning
`bazaar up` to its "Press Ctrl-C to stop." line; its own "ready in Xs" (services answering,
before seeding) is recorded too. Memory is summed over the supervisor's whole process tree
(services, gateway, nats-server, the supervisor): RSS over-counts shared pages once per process,
USS counts only private memory; PSS charges each shared page to its sharers in equal parts, so
its sum is what the tree really holds (the figure that shows pages shared by a fork server).
Goals: ready <= 15 s, memory <= 1.5 GB.
"""

from __future__ import annotations

import shutil
import time

import psutil

from bench.context import Context
from bench.platform import cpu_seconds_of, memory_of, start_platform
from bench.plots import Panel, candidate_figure
from bench.results import Goal, ScenarioResult, Table, fmt, fmt_spread
from bench.stats import Spread, median

ID = "P6"
TITLE = "footprint: start-up time and memory of `bazaar up`"
SETTLE_SECONDS = 2.0  # let the first heartbeats and lazy imports happen before measuring
MIB_PER_GB = 1000**3 / 1024**2


def _by_process(processes: list[psutil.Process], names: dict[int, str]) -> dict[str, float]:
    """USS in MiB per component (the platform's state names them; forked children all share
    the fork server's command line), summed over processes of the same name."""
    sizes: dict[str, float] = {}
    for process in processes:
        try:
            uss = process.memory_full_info().uss / 1024 / 1024
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        name = names.get(process.pid, "other")
        sizes[name] = sizes.get(name, 0.0) + uss
    return sizes


def run(context: Context, *, after_load: dict[str, float] | None = None) -> ScenarioResult:
    context.progress(f"P6 {TITLE}")
    records: list[dict[str, float]] = []
    per_process: list[dict[str, float]] = []
    for start in range(1, context.starts + 1):
        data_dir = context.workdir / "p6" / f"start-{start}"
        shutil.rmtree(data_dir, ignore_errors=True)
        platform = start_platform(data_dir)
        try:
            timing = platform.timing()
            time.sleep(SETTLE_SECONDS)
            tree = platform.tree()
            memory = memory_of(tree)
            cpu_s = cpu_seconds_of(tree)
            named = {pid: name for name, pids in platform.pids().items() for pid in pids}
            per_process.append(_by_process(tree, named))
        finally:
            stopping = time.monotonic()
            platform.stop()
            stop_seconds = time.monotonic() - stopping
        record = {
            "to_ready_line_s": timing.to_ready_line_s,
            "reported_ready_s": timing.reported_ready_s or float("nan"),
            "stop_s": stop_seconds,
            "cpu_s": cpu_s,
            **memory,
        }
        records.append(record)
        context.progress(
            f"    start {start}/{context.starts}: ready line after {timing.to_ready_line_s:.1f} s "
            f"(it says ready in {timing.reported_ready_s} s), CPU {cpu_s:.1f} s, "
            f"RSS {memory['rss_mib']:.0f} MiB, "
            f"USS {memory['uss_mib']:.0f} MiB, PSS {memory['pss_mib']:.0f} MiB "
            f"in {memory['processes']:.0f} processes"
        )
    figures = {
        key: Spread.of([r[key] for r in records])
        for key in (
            "to_ready_line_s",
            "reported_ready_s",
            "stop_s",
            "cpu_s",
            "rss_mib",
            "uss_mib",
            "pss_mib",
        )
    }
    table = Table(["figure", "median (range)"])
    table.add(
        "spawn → 'Press Ctrl-C' line (incl. seeding)",
        fmt_spread(figures["to_ready_line_s"], 1) + " s",
    )
    table.add(
        "'Bazaar is ready in' (services ready)", fmt_spread(figures["reported_ready_s"], 1) + " s"
    )
    table.add("SIGINT → everything stopped", fmt_spread(figures["stop_s"], 1) + " s")
    table.add(
        "CPU time of the whole tree, start to measurement", fmt_spread(figures["cpu_s"], 1) + " s"
    )
    table.add("memory, sum of RSS", fmt_spread(figures["rss_mib"]) + " MiB")
    table.add("memory, sum of USS", fmt_spread(figures["uss_mib"]) + " MiB")
    table.add("memory, sum of PSS", fmt_spread(figures["pss_mib"]) + " MiB")
    names = sorted({name for sizes in per_process for name in sizes})
    breakdown = {name: median([sizes.get(name, 0.0) for sizes in per_process]) for name in names}
    facts = [
        "USS per process (MiB, median over starts): "
        + ", ".join(
            f"{name} {size:.0f}" for name, size in sorted(breakdown.items(), key=lambda i: -i[1])
        ),
    ]
    if after_load:
        facts.append(
            "The platform used by P1-P3, measured after their load: "
            f"RSS {fmt(after_load['rss_mib'])} MiB, USS {fmt(after_load['uss_mib'])} MiB."
        )
    file, relative = context.plot("p6_footprint")
    candidate_figure(
        file,
        f"P6 footprint ({context.starts} fresh starts)",
        [
            Panel(
                "start-up",
                "s",
                {
                    "to 'Press Ctrl-C'": [r["to_ready_line_s"] for r in records],
                    "'ready in'": [r["reported_ready_s"] for r in records],
                },
            ),
            Panel(
                "memory (whole tree)",
                "MiB",
                {
                    "sum RSS": [r["rss_mib"] for r in records],
                    "sum USS": [r["uss_mib"] for r in records],
                },
            ),
        ],
    )
    return ScenarioResult(
        id=ID,
        title=TITLE,
        settings={
            "fresh starts": context.starts,
            "settle before measuring memory": f"{SETTLE_SECONDS:g} s",
        },
        table=table,
        rounds={"bazaar up": records},
        ratios={},
        goals=[
            Goal("ready (to 'Press Ctrl-C')", "<=", 15, figures["to_ready_line_s"].median, " s"),
            Goal("memory, sum of RSS", "<=", 1.5, figures["rss_mib"].median / MIB_PER_GB, " GB"),
            Goal("memory, sum of USS", "<=", 1.5, figures["uss_mib"].median / MIB_PER_GB, " GB"),
            Goal("memory, sum of PSS", "<=", 1.5, figures["pss_mib"].median / MIB_PER_GB, " GB"),
        ],
        facts=facts,
        plots=[relative],
        extra={"uss_mib_by_process": breakdown, "after_load": after_load or {}},
    )
