"""The chassis stays within its budget (docs/adr/0008-chassis-budget.md): what every service
loads and a newcomer reads grows only by a decision recorded there, never by drift."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHASSIS = ROOT / "libs" / "chassis" / "src" / "bazaar_chassis"
BUDGET = 3_650  # non-blank lines without testing/ and the chassis's own migrations (ADR 0008)


def _counted_modules() -> list[Path]:
    return sorted(
        path
        for path in CHASSIS.rglob("*.py")
        if not {"testing", "migrations"} & set(path.relative_to(CHASSIS).parts)
    )


def _non_blank_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_the_chassis_stays_within_its_budget() -> None:
    modules = _counted_modules()
    assert len(modules) > 20, "the chassis's modules were not found"
    total = sum(_non_blank_lines(path) for path in modules)
    assert total <= BUDGET, (
        f"the chassis has {total} non-blank lines, over its budget of {BUDGET}: move what not "
        "every service uses into that service or a small library, or amend ADR 0008"
    )
