"""No file of the repository carries a merge's conflict markers: ruff and mypy catch them in
Python, nothing else would in Markdown, the policy CSV or the TOML files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
TEXT_FILES = ("*.md", "*.py", "*.csv", "*.toml", "*.yaml", "*.yml", "*.json", "*.html")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *TEXT_FILES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_no_file_carries_conflict_markers() -> None:
    files = tracked_text_files()
    assert files, "git listed no files: the test would prove nothing"
    marked = [
        str(path.relative_to(ROOT))
        for path in files
        if MARKER.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert marked == []
