"""The documentation stands alone: every link in the repository's Markdown points at a file or
folder inside the repository that exists, and nothing points at a sibling checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
WEB = ("http://", "https://", "mailto:", "#")


def markdown_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


def broken_links(page: Path, *, root: Path = ROOT) -> list[str]:
    broken = []
    text = page.read_text()
    for target in LINK.findall(text):
        if target.startswith(WEB):
            continue
        resolved = (page.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(root) or not resolved.exists():
            broken.append(target)
    if "../shared/" in text:
        broken.append("../shared/ (outside the repository)")
    return broken


def test_every_markdown_link_stays_inside_the_repository_and_exists() -> None:
    pages = markdown_files()
    assert ROOT / "README.md" in pages
    broken = {str(p.relative_to(ROOT)): b for p in pages if (b := broken_links(p))}
    assert broken == {}


def test_a_link_out_of_the_repository_or_to_nothing_is_found(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    (tmp_path / "docs" / "architecture.md").write_text("")
    page.write_text("[ok](architecture.md) [gone](missing.md) [out](../../shared/docs/x.md)")
    assert broken_links(page, root=tmp_path) == [
        "missing.md",
        "../../shared/docs/x.md",
        "../shared/ (outside the repository)",
    ]
