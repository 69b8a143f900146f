"""wrk's human report, parsed into plain units."""

import math

import pytest

from bench.wrk import WrkFailed, parse_bytes, parse_count, parse_duration_ms, parse_wrk_output

CLEAN = """\
Running 3s test @ http://127.0.0.1:18000/catalog/1/categories/coffee/products?limit=10
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    68.83ms   13.40ms 137.51ms   93.47%
    Req/Sec   461.27     26.38   505.00     86.67%
  Latency Distribution
     50%   68.83ms
     75%   71.64ms
     90%   74.37ms
     99%  126.45ms
  1379 requests in 3.00s, 1.95MB read
Requests/sec:    459.45
Transfer/sec:    665.39KB
"""

WITH_ERRORS = """\
Running 5s test @ http://127.0.0.1:9000/page/coffee?limit=10
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02s   250.10ms   2.00s    70.00%
    Req/Sec     1.23k   100.00     1.50k    80.00%
  Latency Distribution
     50%  980.00us
     75%    1.10s
     90%    1.50s
     99%    1.90s
  250 requests in 5.01s, 512.00B read
  Socket errors: connect 0, read 2, write 0, timeout 12
  Non-2xx or 3xx responses: 5
Requests/sec:     49.90
Transfer/sec:     102.19B
"""


def test_a_clean_report_gives_rate_percentiles_and_totals() -> None:
    report = parse_wrk_output(CLEAN)
    assert report.requests == 1379
    assert report.duration_s == pytest.approx(3.0)
    assert report.requests_per_s == pytest.approx(459.45)
    assert report.p50_ms == pytest.approx(68.83)
    assert report.p99_ms == pytest.approx(126.45)
    assert report.percentiles_ms == pytest.approx(
        {"50": 68.83, "75": 71.64, "90": 74.37, "99": 126.45}
    )
    assert report.latency_avg_ms == pytest.approx(68.83)
    assert report.latency_max_ms == pytest.approx(137.51)
    assert report.bytes_read == pytest.approx(1.95 * 1024 * 1024)
    assert report.errors == 0


def test_socket_errors_and_non_2xx_answers_count_as_errors() -> None:
    report = parse_wrk_output(WITH_ERRORS)
    assert report.socket_errors == {"connect": 0, "read": 2, "write": 0, "timeout": 12}
    assert report.non_2xx == 5
    assert report.errors == 19


def test_microseconds_and_seconds_are_converted_to_milliseconds() -> None:
    report = parse_wrk_output(WITH_ERRORS)
    assert report.p50_ms == pytest.approx(0.98)
    assert report.p99_ms == pytest.approx(1900.0)
    assert report.latency_avg_ms == pytest.approx(1020.0)
    assert report.duration_s == pytest.approx(5.01)


def test_a_report_without_latency_distribution_has_no_percentiles() -> None:
    without = "\n".join(line for line in CLEAN.splitlines() if "%" not in line or "Latency" in line)
    report = parse_wrk_output(without)
    assert math.isnan(report.p99_ms)
    assert report.requests_per_s == pytest.approx(459.45)


def test_output_that_is_not_a_wrk_report_is_refused() -> None:
    with pytest.raises(WrkFailed):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize(
    ("text", "ms"),
    [("500.00us", 0.5), ("68.83ms", 68.83), ("1.02s", 1020.0), ("2.00m", 120_000.0)],
)
def test_durations_in_every_wrk_unit(text: str, ms: float) -> None:
    assert parse_duration_ms(text) == pytest.approx(ms)


def test_byte_counts_are_binary_units() -> None:
    assert parse_bytes("512.00B") == 512
    assert parse_bytes("2.00KB") == 2048
    assert parse_bytes("1.00GB") == 1024**3


def test_request_counts_may_have_metric_suffixes() -> None:
    assert parse_count("461.27") == pytest.approx(461.27)
    assert parse_count("1.23k") == pytest.approx(1230.0)


@pytest.mark.parametrize("text", ["fast", "12", "3.0 ms", "-1ms"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(WrkFailed):
        parse_duration_ms(text)
