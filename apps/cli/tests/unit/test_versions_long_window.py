"""`bazaar versions` also shows each release's share over the last hour, from the console's
stored SLO report; without that report (console down) the column says "-"."""

from __future__ import annotations

from rich.console import Console

from bazaar_cli.versions import Traffic, requests_per_release_stored, versions_table

ENTRY = {
    "name": "pricing",
    "default_major": 1,
    "instances": [
        {"id": "p-a", "version": "1.0.0", "url": "http://127.0.0.1:9001", "majors": [1, 2]},
        {"id": "p-b", "version": "1.0.1", "url": "http://127.0.0.1:9002", "majors": [1, 2]},
    ],
}
REPORT = {
    "releases": [
        {"service": "pricing", "release": "1.0.0", "requests": 300},
        {"service": "pricing", "release": "1.0.1", "requests": 100},
        {"service": "catalog", "release": "1.0.0", "requests": 5000},
    ]
}


def test_the_last_hour_counts_only_the_service_s_own_releases() -> None:
    assert requests_per_release_stored(REPORT, "pricing") == {"1.0.0": 300.0, "1.0.1": 100.0}


def test_the_table_shows_the_share_of_the_last_hour_beside_the_sampled_one() -> None:
    console = Console(record=True, width=240)
    long_window = requests_per_release_stored(REPORT, "pricing")
    traffic = Traffic(window_seconds=5, before={}, after={"1.0.0": 1}, long_window=long_window)
    console.print(versions_table(ENTRY, health={}, traffic=traffic))
    text = console.export_text()
    assert "share, last 1 h" in text
    assert "75.0% (300)" in text
    assert "25.0% (100)" in text


def test_without_the_console_s_report_the_last_hour_is_a_dash() -> None:
    console = Console(record=True, width=240)
    counts = {"1.0.0": 4.0, "1.0.1": 4.0}  # nothing new in the sampled window either
    traffic = Traffic(window_seconds=5, before=counts, after=counts)
    console.print(versions_table(ENTRY, health={}, traffic=traffic))
    text = console.export_text()
    assert "share, last 1 h" in text
    assert text.count("50.0% (4)") == 2  # only the totals show a share
