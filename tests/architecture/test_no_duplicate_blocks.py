"""No block of six or more identical lines stands twice in the sources (issue 7's "must show").

The check follows the rule of the duplicate finder the developers run (`duplicates`): lines are
compared with their white space folded; blank lines, comments, lone punctuation and import
statements (all their lines) are passed over. Tests and migrations are left out: a test spells
out its scenario, and a migration is a frozen copy of the schema on purpose.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIN_LINES = 6

# Repeats not removed yet (by file pair, so that edits elsewhere in the files do not matter), each
# with why it is still there. The list may only shrink: a repeat in another pair of files fails
# the test, and so does a pair listed here that no longer repeats (delete its line).
KNOWN = {
    # Promotion and Code share their validity and version fields; a shared base class would move
    # them to the front of both API answers
    "services/promotion/src/bazaar_promotion/domain.py"
    " ~ services/promotion/src/bazaar_promotion/domain.py",
}
PUNCTUATION = re.compile(r"[\[\](){},:;]+")


def sources() -> list[Path]:
    """Every Python source outside tests and migrations: libraries, services, apps, benchmarks."""
    found = [
        path
        for folder in ("libs", "services", "apps", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if not {"tests", "migrations", ".venv"} & set(path.relative_to(ROOT).parts)
    ]
    return sorted(found)


def code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text with white space folded) of the lines that count."""
    text = path.read_text()
    imports = {
        number
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    counted = []
    for number, line in enumerate(text.splitlines(), start=1):
        folded = " ".join(line.split())
        if number in imports or not folded or folded.startswith("#"):
            continue
        if PUNCTUATION.fullmatch(folded):
            continue
        counted.append((number, folded))
    return counted


def repeated_blocks(paths: list[Path], *, root: Path) -> list[str]:
    """'a.py:10 ~ b.py:40' for each place where MIN_LINES counted lines stand again."""
    places: dict[tuple[str, ...], list[tuple[str, int, int]]] = defaultdict(list)
    for path in paths:
        lines = code_lines(path)
        name = str(path.relative_to(root))
        for start in range(len(lines) - MIN_LINES + 1):
            window = tuple(text for _, text in lines[start : start + MIN_LINES])
            places[window].append((name, start, lines[start][0]))
    found = []
    reported: set[tuple[str, int, str, int]] = set()
    for spots in places.values():
        first, *again = spots
        for other in again:
            same_file = other[0] == first[0]
            if same_file and other[1] - first[1] < MIN_LINES:
                continue  # one block overlapping itself (a run of equal lines)
            if (first[0], first[1] - 1, other[0], other[1] - 1) not in reported:
                found.append(f"{first[0]}:{first[2]} ~ {other[0]}:{other[2]}")
            reported.add((first[0], first[1], other[0], other[1]))
    return found


def test_no_block_of_six_identical_lines_stands_twice_outside_tests_and_migrations() -> None:
    found = repeated_blocks(sources(), root=ROOT)
    assert {re.sub(r":\d+", "", place) for place in found} == KNOWN, found


def test_the_check_finds_a_block_written_twice_but_not_an_import_list(tmp_path: Path) -> None:
    block = "\n".join(f"value_{n} = compute({n})" for n in range(MIN_LINES))
    names = "".join(f"    name_{n},\n" for n in range(MIN_LINES))
    (tmp_path / "a.py").write_text(f"from x import (\n{names})\n\n{block}\n")
    (tmp_path / "b.py").write_text(f"from x import (\n{names})\n# the same again\n\n{block}\n")
    paths = sorted(tmp_path.glob("*.py"))
    assert repeated_blocks(paths, root=tmp_path) == ["a.py:10 ~ b.py:11"]
    (tmp_path / "b.py").write_text(block.replace("value_3", "other_3"))
    assert repeated_blocks(paths, root=tmp_path) == []
