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
