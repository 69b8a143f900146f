"""Writes docs/benchmarks.json and regenerates docs/benchmarks.md from it, whole.

The JSON is the record: one object per scenario id, each with its own command, date and machine
(a run of only `P2` replaces P2 and keeps the others). The markdown is a pure function of that
JSON plus the hand-written "What limits it / what would lift it" notes in bench/notes/<id>.md, so
a re-run never needs a hand edit and a hand edit is never lost.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import ScenarioResult

NOTES = Path(__file__).parent / "notes"
ORDER = ["P1", "P1b", "P2", "P2b", "P3", "P4", "P5", "P6", "P7", "P7b"]
PLACEHOLDERS = {"P5": "P5 checkout"}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        wrk = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    except (OSError, IndexError):
        wrk = "not installed"
    memory_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": wrk.split(" Copyright")[0],
    }


def command_line(argv: list[str]) -> str:
    return "./scripts/bench " + shlex.join(argv) if argv else "./scripts/bench"


def stamp(result: ScenarioResult, *, command: str, short: bool = False) -> dict[str, Any]:
    """The scenario's JSON object, with when, how and where it was measured."""
    return {
        **result.as_dict(),
        "command": command,
        "short_run": short,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "python_executable": sys.executable,
    }


def merge_json(path: Path, fresh: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Replace the scenarios measured now, keep the others."""
    existing: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    existing.update(fresh)
    ordered = {key: existing[key] for key in sorted(existing, key=_order)}
    path.write_text(json.dumps(_without_nan(ordered), indent=2, allow_nan=False) + "\n")
    return ordered


def _order(scenario_id: str) -> int:
    return ORDER.index(scenario_id) if scenario_id in ORDER else len(ORDER)


def _without_nan(value: Any) -> Any:
    """JSON has no NaN: a figure that could not be measured is written as null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


def _notes(scenario_id: str) -> str:
    path = NOTES / f"{scenario_id}.md"
    return path.read_text().strip() if path.exists() else "_(no notes yet)_"


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _goal_value(goal: dict[str, Any]) -> str:
    value = goal["value"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.2f}{goal.get('unit', '')}"


def _goal_cells(goal: dict[str, Any]) -> list[str]:
    verdict = "**met**" if goal["met"] else "**missed**"
    target = f"{goal['op']} {goal['threshold']:g}{goal.get('unit', '')}"
    return [goal["label"], target, _goal_value(goal), verdict]


def _scenario_section(data: dict[str, Any]) -> list[str]:
    machine_info = data["machine"]
    lines = [
        f"## {data['id']} — {data['title']}",
        "",
        f"Measured {data['date']} with `{data['command']}` on {machine_info['nproc']} cores "
        f"({machine_info['cpu_model']}, {machine_info['memory_gib']} GiB), Python "
        f"{machine_info['python']}, {machine_info['wrk']}.",
        "",
        *(
            [
                "**Short development run (fewer or shorter rounds than the defaults): indicative "
                "only. Rerun `./scripts/bench` with the defaults for numbers to quote.**",
                "",
            ]
            if data.get("short_run")
            else []
        ),
        "Settings: "
        + ", ".join(f"{key} = {value}" for key, value in data["settings"].items())
        + ".",
        "",
        *_table(data["table"]["columns"], data["table"]["rows"]),
        "",
    ]
    if data["goals"]:
        lines += [
            *_table(["goal", "target", "measured", ""], [_goal_cells(g) for g in data["goals"]]),
            "",
        ]
    lines += [f"- {fact}" for fact in data["facts"]]
    if data["facts"]:
        lines.append("")
    lines += [f"![{data['id']}]({plot})" for plot in data["plots"]]
    if data["plots"]:
        lines.append("")
    lines += ["### What limits it / what would lift it", "", _notes(data["id"]), ""]
    return lines


def render_markdown(scenarios: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `./scripts/bench` from docs/benchmarks.json and bench/notes/*.md: "
        "edit those, not this file. -->",
        "",
        "How fast is Bazaar, and what does each part of the design cost? Each scenario runs its "
        "candidates side by side in one run, alternating them round after round on the same "
        "machine, and reports medians over rounds (range in brackets) and ratios. The machine "
        "is small and shared, so **the ratios are the finding; absolute numbers are context**. "
        "Raw per-round figures are in [benchmarks.json](benchmarks.json).",
        "",
        "Reproduce: `./scripts/bench` (all scenarios, 3 rounds x 5 s), or e.g. "
        "`./scripts/bench P1 P2 --rounds 5 --duration 10`; `./scripts/bench --help` lists the "
        "options. wrk is the load generator; its own CPU share is reported next to each result "
        "so that it is never the hidden bottleneck.",
        "",
        "## Summary",
        "",
    ]
    summary_rows = []
    for scenario_id in sorted(set(scenarios) | set(PLACEHOLDERS), key=_order):
        if scenario_id in PLACEHOLDERS and scenario_id not in scenarios:
            summary_rows.append([scenario_id, PLACEHOLDERS[scenario_id], "not yet", "", "", ""])
            continue
        data = scenarios[scenario_id]
        for goal in data["goals"]:
            summary_rows.append([scenario_id, data["title"], *_goal_cells(goal)])
    lines += _table(["id", "scenario", "goal", "target", "measured", ""], summary_rows)
    lines.append("")
    for scenario_id in sorted(set(scenarios) | set(PLACEHOLDERS), key=_order):
        if scenario_id in scenarios:
            lines += _scenario_section(scenarios[scenario_id])
        else:
            lines += [
                f"## {scenario_id} — {PLACEHOLDERS[scenario_id]}",
                "",
                _notes(scenario_id),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def write(docs: Path, results: list[ScenarioResult], *, command: str, short: bool = False) -> None:
    """Merge `results` into docs/benchmarks.json and regenerate docs/benchmarks.md."""
    fresh = {result.id: stamp(result, command=command, short=short) for result in results}
    scenarios = merge_json(docs / "benchmarks.json", fresh)
    (docs / "benchmarks.md").write_text(render_markdown(scenarios))
