"""Medians, percentiles, ratios and spreads over rounds."""

import math

import pytest

from bench.stats import Spread, latency_summary, median, percentile, ratio


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_median_of_nothing_is_nan() -> None:
    assert math.isnan(median([]))


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.99) == pytest.approx(99.01)
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 100.0


def test_percentile_of_one_sample_is_that_sample() -> None:
    assert percentile([7.0], 0.99) == 7.0


def test_percentile_refuses_a_fraction_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1.0], 99)


def test_ratio_is_nan_instead_of_an_error_for_a_zero_or_missing_denominator() -> None:
    assert ratio(10.0, 4.0) == 2.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(1.0, math.nan))
    assert math.isnan(ratio(math.nan, 1.0))


def test_spread_reports_median_and_range_and_ignores_missing_rounds() -> None:
    spread = Spread.of([100.0, 90.0, math.nan, 110.0])
    assert (spread.median, spread.low, spread.high, spread.count) == (100.0, 90.0, 110.0, 3)
    assert spread.relative_range == pytest.approx(0.2)


def test_spread_of_no_values_is_empty() -> None:
    spread = Spread.of([])
    assert spread.count == 0
    assert math.isnan(spread.median)


def test_latency_summary_gives_the_usual_percentiles() -> None:
    summary = latency_summary([float(v) for v in range(1, 201)])
    assert summary["count"] == 200
    assert summary["p50_ms"] == pytest.approx(100.5)
    assert summary["p99_ms"] == pytest.approx(198.01)
    assert summary["max_ms"] == 200.0
