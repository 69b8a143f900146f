"""What every scenario gets from the command line: how long, how hard, where to write."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from bench.load import Records, Target, alternate_rounds
from bench.profiling import profiled
from bench.wrk import LoadSettings


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Context:
    load: LoadSettings
    rounds: int
    warmup_s: int
    writes: int  # P3: price writes per configuration
    writers: int  # P3: concurrent writers in the "many" configuration
    orders: int  # P5: orders per checkout case
    clients: int  # P5: concurrent shoppers (and price writers beside them)
    events: int  # P4: events through the pipeline per round
    starts: int  # P6: fresh starts of `bazaar up`
    workdir: Path  # scratch space: data dirs, logs, databases
    docs: Path  # docs/ of the repository
    recalls: int = 15  # P7b: recalls in a row, each of a fresh product
    profile: tuple[str, ...] = ()  # process names to profile with py-spy (--profile)

    def wrk_settings(self) -> dict[str, object]:
        """The settings every wrk scenario reports: rounds, their length, wrk's load."""
        return {
            "rounds": self.rounds,
            "duration per round": f"{self.load.duration_s:g} s",
            "wrk": f"-t{self.load.threads} -c{self.load.connections}",
        }

    def plot(self, name: str) -> tuple[Path, str]:
        """(file to write, path relative to docs/ for the markdown) of a plot."""
        return self.docs / "benchmarks" / f"{name}.png", f"benchmarks/{name}.png"

    def profiling(
        self, label: str, pids: Mapping[str, Sequence[int]]
    ) -> AbstractContextManager[None]:
        """py-spy on the processes named with --profile while the block runs (else nothing)."""
        return profiled(
            label,
            pids,
            names=[name for name in self.profile if name in pids],
            directory=self.workdir / "profiles",
            say=say,
        )

    def measure(
        self,
        label: str,
        targets: Mapping[str, Target],
        *,
        watched: Callable[[], Mapping[str, Sequence[int]]],
        scratch: Path | None = None,
    ) -> Records:
        """The scenario's alternating wrk rounds over `targets`, profiled as `label`."""
        with self.profiling(label, watched()):
            return alternate_rounds(
                targets,
                load=self.load,
                rounds=self.rounds,
                warmup_s=self.warmup_s,
                watched=watched,
                progress=self.progress,
                scratch=scratch,
            )

    @staticmethod
    def progress(message: str) -> None:
        say(message)
