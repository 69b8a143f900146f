"""Small, dependency-free statistics for benchmark figures.

The machine is shared and noisy: one round can be slowed by someone else's test run. Medians
over rounds (not means) keep one bad round from moving the headline, and ratios of medians
compare candidates measured in the same run, interleaved, under the same noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def median(values: Sequence[float]) -> float:
    """The middle value (mean of the two middle ones for an even count); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (0..1) with linear interpolation between ranks, as numpy's
    default does; NaN when empty. p99 of 200 samples is therefore between the 2nd and 3rd
    largest, not the largest."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, not {fraction}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN (not an exception) when the denominator is 0 or NaN."""
    if denominator == 0 or math.isnan(denominator) or math.isnan(numerator):
        return math.nan
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Spread:
    """Median and range of one figure over rounds: the range shows how noisy the run was."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        finite = [v for v in values if not math.isnan(v)]
        if not finite:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(median(finite), min(finite), max(finite), len(finite))

    @property
    def relative_range(self) -> float:
        """(high - low) / median: 0.05 means rounds agreed within 5 %."""
        return ratio(self.high - self.low, self.median)


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max and count of latency samples in milliseconds."""
    return {
        "count": float(len(samples_ms)),
        "p50_ms": percentile(samples_ms, 0.50),
        "p90_ms": percentile(samples_ms, 0.90),
        "p99_ms": percentile(samples_ms, 0.99),
        "max_ms": max(samples_ms) if samples_ms else math.nan,
    }
