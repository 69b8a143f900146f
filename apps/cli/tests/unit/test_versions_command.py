"""`bazaar versions <service>` reads each release's requests from the gateway's metrics and shows
releases, instances, health, majors, weights and shares as one table."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from rich.console import Console
from typer.testing import CliRunner

from bazaar_cli.main import app
from bazaar_cli.versions import Traffic, requests_per_release, versions_table

LABELS = ["service", "major", "release", "method", "status"]


def gateway_metrics(counts: dict[tuple[str, str, str], int]) -> str:
    """The gateway's request histogram, as its /metrics would expose it."""
    registry = CollectorRegistry()
    requests = Histogram(
        "bazaar_gateway_request_duration_seconds", "requests", LABELS, registry=registry
    )
    for (service, major, release), n in counts.items():
        for _ in range(n):
            requests.labels(service, major, release, "GET", "200").observe(0.01)
    return generate_latest(registry).decode()


def test_requests_are_counted_per_release_of_the_service_asked_for_across_majors() -> None:
    text = gateway_metrics(
        {("pricing", "1", "2.3.0"): 3, ("pricing", "2", "2.3.0"): 2, ("pricing", "1", "2.4.0"): 1}
        | {("cart", "1", "2.3.0"): 7}
    )
    assert requests_per_release(text, "pricing") == {"2.3.0": 5, "2.4.0": 1}
    assert requests_per_release(text, "inventory") == {}


ENTRY = {
    "name": "pricing",
    "default_major": 1,
    "deprecated_majors": [1],
    "instances": [
        {"id": "p-b", "version": "2.4.0", "url": "http://127.0.0.1:9002", "majors": [1, 2]}
        | {"weight": 20},
        {"id": "p-a", "version": "2.3.0", "url": "http://127.0.0.1:9001", "majors": [1, 2]}
        | {"weight": 80},
        {"id": "p-c", "version": "2.3.0", "url": "http://127.0.0.1:9003", "majors": [1, 2]}
        | {"weight": 80},
    ],
}


def test_the_table_shows_each_instance_and_each_releases_share_once() -> None:
    console = Console(record=True, width=220)
    traffic = Traffic(
        window_seconds=5,
        before={"2.3.0": 100, "2.4.0": 0},
        after={"2.3.0": 180, "2.4.0": 20},
    )
    health = {"p-a": "ready", "p-b": "ready"}
    console.print(versions_table(ENTRY, health=health, traffic=traffic))
    text = console.export_text()
    for expected in (
        "2.3.0",
        "2.4.0",
        "http://127.0.0.1:9001",
        "http://127.0.0.1:9003",
        "v1 (deprecated), v2",
        "share, last 5 s",
        "80.0% (80)",  # last 5 s: 80 of 100 requests went to 2.3.0
        "20.0% (20)",
        "90.0% (180)",  # since the gateway started
        "10.0% (20)",
        "not answering",  # p-c did not answer its readiness probe
    ):
        assert expected in text, expected
    lines = [line for line in text.splitlines() if "p-" in line]
    assert [line.strip("│ ").split()[0] for line in lines] == ["2.3.0", "p-c", "2.4.0"]
    assert text.count("80.0%") == 1


def test_a_release_without_traffic_shows_a_dash_not_a_division_by_zero() -> None:
    console = Console(record=True, width=220)
    traffic = Traffic(window_seconds=5, before={}, after={})
    console.print(versions_table(ENTRY, health={}, traffic=traffic))
    assert "%" not in console.export_text()


def test_versions_fails_in_one_line_when_nothing_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["versions", "pricing", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "nothing is running" in result.output
    assert "Traceback" not in result.output
