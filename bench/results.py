"""The result of one scenario, as written to docs/benchmarks.json and rendered to markdown.

A scenario measures several candidates over several rounds. The JSON keeps every raw per-round
figure (so anyone can recompute), the ratios and the goals; it also keeps the ready-made summary
table, so that docs/benchmarks.md can be regenerated from the JSON alone.
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.stats import Spread

_COMPARE = {">=": operator.ge, "<=": operator.le}


@dataclass
class Goal:
    """A target from the brief: `value op threshold`, e.g. a/b throughput >= 10."""

    label: str
    op: str
    threshold: float
    value: float
    unit: str = ""

    @property
    def met(self) -> bool:
        return not math.isnan(self.value) and _COMPARE[self.op](self.value, self.threshold)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        self.rows.append(list(cells))


@dataclass
class ScenarioResult:
    id: str
    title: str
    settings: dict[str, Any]
    table: Table
    rounds: dict[str, list[dict[str, float]]]  # candidate -> one record per round
    ratios: dict[str, float] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # context lines under the table
    plots: list[str] = field(default_factory=list)  # paths relative to docs/
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. profiling evidence

    def spread(self, candidate: str, figure: str) -> Spread:
        return Spread.of([record.get(figure, math.nan) for record in self.rounds[candidate]])

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "settings": self.settings,
            "table": asdict(self.table),
            "rounds": self.rounds,
            "medians": {
                candidate: {
                    figure: self.spread(candidate, figure).median
                    for figure in sorted({k for record in records for k in record})
                }
                for candidate, records in self.rounds.items()
            },
            "ratios": self.ratios,
            "goals": [goal.as_dict() for goal in self.goals],
            "facts": self.facts,
            "plots": self.plots,
            "extra": self.extra,
        }


def fmt(value: float, digits: int = 0) -> str:
    """A number for a table cell: thousands separators, 'n/a' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def fmt_ratio(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def fmt_spread(spread: Spread, digits: int = 0) -> str:
    """'1,234 (1,200-1,260)': median and range over rounds."""
    if spread.count <= 1:
        return fmt(spread.median, digits)
    return f"{fmt(spread.median, digits)} ({fmt(spread.low, digits)}-{fmt(spread.high, digits)})"
