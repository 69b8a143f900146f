"""`bazaar services | events | slo | dlq | trace` print the console's answers as tables, and fail
in one line when no platform answers."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from bazaar_cli import operations
from bazaar_cli.main import app


def test_every_console_command_fails_in_one_line_when_nothing_runs(tmp_path: Path) -> None:
    for command in (["services"], ["events"], ["slo"], ["dlq"], ["trace", "abc"]):
        result = CliRunner().invoke(app, [*command, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1, command
        assert "nothing is running" in result.output
        assert "Traceback" not in result.output


def test_the_slo_and_trace_tables_show_release_route_and_spans() -> None:
    console = Console(record=True, width=200)
    operations.show_slo(
        {
            "window_seconds": 300,
            "routes": [
                {
                    "service": "cart",
                    "major": "1",
                    "release": "13.2.0",
                    "route": "/cart/1/carts/{cart_id}",
                    "requests": 8,
                    "availability": 0.875,
                    "p50_ms": 3.1,
                    "p95_ms": 9.0,
                    "p99_ms": None,
                }
            ],
        },
        console,
    )
    operations.show_trace(
        {
            "trace_id": "t1",
            "spans": [
                {
                    "name": "POST /order/1/orders",
                    "service": "order",
                    "release": "2.0.0",
                    "depth": 0,
                    "offset_ms": 0.0,
                    "duration_ms": 12.5,
                    "error": False,
                }
            ],
        },
        console,
    )
    text = console.export_text()
    assert "13.2.0" in text
    assert "/cart/1/carts/{cart_id}" in text
    assert "87.50%" in text
    assert "order 2.0.0" in text
