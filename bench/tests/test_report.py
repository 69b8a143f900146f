"""docs/benchmarks.md is regenerated whole from docs/benchmarks.json and bench/notes."""

import json
from pathlib import Path

from bench import report
from bench.results import Goal, ScenarioResult, Table


def _result(scenario_id: str, value: float) -> ScenarioResult:
    table = Table(["candidate", "req/s"])
    table.add("a", "1,000")
    return ScenarioResult(
        id=scenario_id,
        title=f"scenario {scenario_id}",
        settings={"rounds": 1},
        table=table,
        rounds={"a": [{"requests_per_s": 1000.0, "p99_ms": float("nan")}]},
        ratios={"a/b": value},
        goals=[Goal("a/b", ">=", 10, value)],
        facts=["a fact"],
        plots=["benchmarks/x.png"],
    )


def test_a_run_of_one_scenario_keeps_the_others_in_the_json(tmp_path: Path) -> None:
    report.write(tmp_path, [_result("P1", 12.0), _result("P2", 3.0)], command="./scripts/bench")
    report.write(tmp_path, [_result("P2", 11.0)], command="./scripts/bench P2")
    scenarios = json.loads((tmp_path / "benchmarks.json").read_text())
    assert list(scenarios) == ["P1", "P2"]
    assert scenarios["P2"]["ratios"] == {"a/b": 11.0}
    assert scenarios["P2"]["command"] == "./scripts/bench P2"
    assert scenarios["P1"]["goals"][0]["met"] is True


def test_figures_that_could_not_be_measured_are_null_in_the_json(tmp_path: Path) -> None:
    report.write(tmp_path, [_result("P1", float("nan"))], command="./scripts/bench")
    scenario = json.loads((tmp_path / "benchmarks.json").read_text())["P1"]
    assert scenario["rounds"]["a"][0]["p99_ms"] is None
    assert scenario["goals"][0]["met"] is False


def test_the_markdown_has_a_summary_each_scenario_its_notes_and_the_p5_placeholder(
    tmp_path: Path,
) -> None:
    report.write(tmp_path, [_result("P1", 12.0), _result("P2", 3.0)], command="./scripts/bench")
    markdown = (tmp_path / "benchmarks.md").read_text()
    assert "| P1 | scenario P1 | a/b | >= 10 | 12.00 | **met** |" in markdown
    assert "| P2 | scenario P2 | a/b | >= 10 | 3.00 | **missed** |" in markdown
    assert "## P5" in markdown
    assert markdown.index("## P1") < markdown.index("## P2") < markdown.index("## P5")
    assert "![P1](benchmarks/x.png)" in markdown
    assert markdown.count("### What limits it / what would lift it") == 2
    assert "`./scripts/bench`" in markdown
