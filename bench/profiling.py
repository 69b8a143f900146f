"""Optional py-spy profiles of platform processes while a scenario runs (`--profile catalog,...`).

When a goal is missed, the question is where the busy process spends its time. py-spy samples a
running process from outside, without changing it. We sample only while the GIL is held
(`--gil`): for an asyncio service that is where its CPU goes, whereas idle worker threads
(aiosqlite's, blocked on a queue) would otherwise dominate the samples. Each profile is kept as
folded stacks (for flamegraph tools) plus a short text summary of the hottest frames.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

SAMPLE_RATE = 100  # per second


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def summarize(folded: Path, *, top: int = 25) -> str:
    """Hottest frames of a folded-stack file: self time, and inclusive time (frame on stack)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        total += count
        frames = [re.sub(r":\d+\)", ")", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return "no samples (the process never held the GIL: idle)\n"
    lines = [f"{total} samples with the GIL held", "", "self time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top * 2)]
    return "\n".join(lines) + "\n"


@contextmanager
def profiled(
    label: str,
    pids: Mapping[str, Sequence[int]],
    *,
    names: Sequence[str],
    directory: Path,
    say: Callable[[str], None] = print,
) -> Iterator[None]:
    """Profile the processes called `names` (keys of `pids`) for the duration of the block."""
    if not names:
        yield
        return
    binary = _py_spy()
    if binary is None:
        raise RuntimeError("py-spy is not installed (./scripts/bench installs the bench group)")
    directory.mkdir(parents=True, exist_ok=True)
    running: list[tuple[subprocess.Popen[bytes], Path]] = []
    for name in names:
        for pid in pids.get(name, []):
            folded = directory / f"{label}-{name}-{pid}.folded"
            command = [binary, "record", "-p", str(pid), "--gil", "-r", str(SAMPLE_RATE)]
            command += ["-f", "raw", "-o", str(folded)]
            running.append(
                (
                    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                    folded,
                )
            )
    try:
        yield
    finally:
        for process, folded in running:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if folded.exists():
                summary = folded.with_suffix(".txt")
                summary.write_text(summarize(folded))
                say(f"    profile: {summary}")
