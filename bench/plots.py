"""PNG plots for docs/benchmarks/: one figure per scenario, one panel per figure of merit.

Every panel shows a bar per candidate at its median over rounds and a dot per round, so a reader
sees at once both the comparison and how much the rounds disagreed (the noise of a shared box).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt

from bench.stats import median

COLOURS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]


@dataclass
class Panel:
    title: str
    unit: str
    values: dict[str, Sequence[float]]  # candidate -> one value per round
    log: bool = False


def _label(value: float) -> str:
    """1,274 / 87.7 / 0.25: readable at a glance, never in exponent notation."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.2f}"


def candidate_figure(path: Path, title: str, panels: Sequence[Panel]) -> None:
    """Write a row of bar panels to `path` (PNG)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False, layout="constrained"
    )
    for axis, panel in zip(axes[0], panels, strict=True):
        names = list(panel.values)
        for index, name in enumerate(names):
            rounds = [v for v in panel.values[name] if not math.isnan(v)]
            if not rounds:
                continue
            colour = COLOURS[index % len(COLOURS)]
            middle = median(rounds)
            axis.bar(index, middle, color=colour, alpha=0.75, width=0.65)
            axis.scatter([index] * len(rounds), rounds, color="black", s=10, zorder=3)
            axis.annotate(
                _label(middle),
                (index, middle),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
        axis.set_xticks(range(len(names)), names, rotation=15, ha="right", fontsize=8)
        axis.set_title(panel.title, fontsize=10)
        axis.set_ylabel(panel.unit)
        if panel.log:
            axis.set_yscale("log")
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(title, fontsize=11)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def concurrency_figure(
    path: Path, title: str, series: dict[str, dict[int, float]], *, unit: str = "requests/s"
) -> None:
    """One line per candidate: its throughput (y) at each number of connections (x, log 2)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
    for index, (name, points) in enumerate(series.items()):
        xs = sorted(points)
        axis.plot(
            xs,
            [points[x] for x in xs],
            marker="o",
            color=COLOURS[index % len(COLOURS)],
            label=name,
        )
        for x in xs:
            axis.annotate(
                _label(points[x]),
                (x, points[x]),
                fontsize=7,
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
            )
    axis.set_xscale("log", base=2)
    axis.set_xlabel("concurrent connections (wrk -c)")
    axis.set_ylabel(unit)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=11)
    figure.savefig(path, dpi=110)
    plt.close(figure)
