"""`python -m bench [scenario ...]`: run benchmark scenarios and write docs/benchmarks.{md,json}.

One platform (`bazaar up` on a fresh data dir) serves P1, P2, P2b, P3, P5, P7 and P7b in turn;
P4 brings its own nats-server and in-process services; P6 starts and stops platforms of its own,
after everything else has stopped, so that nothing else competes with start-up. Results of
scenarios not run now stay in docs/benchmarks.json; the markdown is regenerated whole from it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bazaar_chassis.runner import freeze_startup_heap
from bench import (
    p1_category_page,
    p1b_service_floor,
    p2_gateway_overhead,
    p2b_gateway_floor,
    p3_event_propagation,
    p4_event_throughput,
    p5_checkout,
    p6_footprint,
    p7_recall,
    p7_search,
    report,
)
from bench.context import Context, say
from bench.platform import Platform, PlatformFailed, memory_of, running_platform
from bench.processes import REPOSITORY, HelperFailed
from bench.results import ScenarioResult
from bench.wrk import LoadSettings, WrkFailed

PLATFORM_SCENARIOS: dict[str, Callable[[Context, Platform], ScenarioResult]] = {
    "P1": p1_category_page.run,
    "P2": p2_gateway_overhead.run,
    "P2b": p2b_gateway_floor.run,
    "P3": p3_event_propagation.run,
    "P5": p5_checkout.run,
    "P7": p7_search.run,
    "P7b": p7_recall.run,
}
ALL = ["P1", "P1b", "P2", "P2b", "P3", "P4", "P5", "P6", "P7", "P7b"]


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./scripts/bench",
        description="Run Bazaar's benchmark scenarios side by side and write "
        "docs/benchmarks.md, docs/benchmarks.json and docs/benchmarks/*.png.",
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"any of {' '.join(ALL)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per scenario (3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--warmup", type=int, default=1, help="unrecorded warm-up s (1; 0: none)")
    parser.add_argument("--writes", type=int, default=200, help="P3 writes per config (200)")
    parser.add_argument("--writers", type=int, default=50, help="P3 concurrent writers (50)")
    parser.add_argument("--orders", type=int, default=160, help="P5 orders per case (160)")
    parser.add_argument("--clients", type=int, default=8, help="P5 concurrent shoppers (8)")
    parser.add_argument("--events", type=int, default=20_000, help="P4 events per round")
    parser.add_argument("--recalls", type=int, default=15, help="P7b recalls in a row (15)")
    parser.add_argument("--starts", type=int, default=3, help="P6 fresh starts (3)")
    parser.add_argument(
        "--profile",
        default="",
        metavar="NAMES",
        help="comma-separated processes to profile with py-spy while scenarios run, e.g. "
        "catalog,gateway,pricing (P4: bench); summaries land in the scratch dir, which is kept; "
        "sampling perturbs the numbers, so a profiled run writes nothing to docs/",
    )
    parser.add_argument("--docs", type=Path, default=REPOSITORY / "docs", help="output folder")
    parser.add_argument(
        "--no-write", action="store_true", help="measure and print only; leave docs/ alone"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch dir (logs, data)")
    args = parser.parse_args(argv)
    chosen = [s.upper() for s in args.scenarios or ALL]
    unknown = [s for s in chosen if s not in {name.upper() for name in ALL}]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {' '.join(ALL)}")
    args.scenarios = [s for s in ALL if s.upper() in chosen]
    if args.profile:
        args.no_write = args.keep = True
    return args


def _run(args: argparse.Namespace, workdir: Path) -> list[ScenarioResult]:
    context = Context(
        load=LoadSettings(
            duration_s=args.duration, connections=args.connections, threads=args.threads
        ),
        rounds=args.rounds,
        warmup_s=args.warmup,
        writes=args.writes,
        writers=args.writers,
        orders=args.orders,
        clients=args.clients,
        events=args.events,
        starts=args.starts,
        recalls=args.recalls,
        workdir=workdir,
        docs=workdir / "docs" if args.no_write else args.docs,  # plots go here
        profile=tuple(name for name in args.profile.split(",") if name),
    )
    results: list[ScenarioResult] = []
    after_load: dict[str, float] | None = None
    on_platform = [s for s in args.scenarios if s in PLATFORM_SCENARIOS]
    if on_platform:
        say("» starting the platform (bazaar up, fresh data dir)")
        with running_platform(workdir / "platform" / "data") as platform:
            say(f"  ready after {platform.timing().to_ready_line_s:.1f} s at {platform.gateway}")
            for scenario in on_platform:
                results.append(PLATFORM_SCENARIOS[scenario](context, platform))
            after_load = memory_of(platform.tree())
        say("» platform stopped")
    if "P1b" in args.scenarios:
        results.append(p1b_service_floor.run(context))
    if "P4" in args.scenarios:
        results.append(p4_event_throughput.run(context))
    if "P6" in args.scenarios:
        results.append(p6_footprint.run(context, after_load=after_load))
    return results


def _summary(results: list[ScenarioResult]) -> None:
    for result in results:
        print(f"{result.id} {result.title}")
        for row in result.table.rows:
            print("   " + " | ".join(row))
        for goal in result.goals:
            verdict = "met" if goal.met else "MISSED"
            print(f"   goal {goal.label} {goal.op} {goal.threshold:g}: {goal.value:.2f} {verdict}")
        for fact in result.facts:
            print(f"   - {fact}")


def _is_short(args: argparse.Namespace) -> bool:
    """Fewer or shorter rounds than the defaults: the report says the numbers are indicative."""
    defaults = _arguments([])
    return any(
        getattr(args, name) < getattr(defaults, name)
        for name in ("rounds", "duration", "writes", "orders", "events", "starts", "recalls")
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _arguments(argv)
    # The probes that time latencies run in this process. Left tracked, its ~200k objects made
    # each full collection a ~160 ms pause in the middle of a P3 round (a wave of writes seen
    # late); frozen, as served processes freeze theirs, they are never walked again.
    freeze_startup_heap()
    workdir = Path(tempfile.mkdtemp(prefix="bazaar-bench-"))
    try:
        results = _run(args, workdir)
    except (PlatformFailed, HelperFailed, WrkFailed) as exc:
        say(f"error: {exc}")
        say(f"logs are in {workdir}")
        return 1
    except KeyboardInterrupt:
        say("interrupted: everything started has been stopped; nothing was written")
        return 130
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    _summary(results)
    if not args.no_write:
        report.write(args.docs, results, command=report.command_line(argv), short=_is_short(args))
        say(f"» wrote {args.docs / 'benchmarks.md'} and benchmarks.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
