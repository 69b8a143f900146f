"""Where the CPU went during a measurement: per watched process, the load generator, the rest.

On a 2-core machine the load generator, the system under test and a colleague's test run all
compete for the same cores. A throughput figure means little unless we know that the load
generator was not the bottleneck and how busy the machine was with other work, so every timed
run records CPU seconds per process and for the whole machine, divided by wall time ("cores").
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psutil

CPU_COUNT = os.cpu_count() or 1


def _process_cpu_seconds(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return float(sum(times) - idle)


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds consumed so far by each watched group of processes, and by the machine."""

    at: float
    groups: dict[str, float]
    machine_busy: float

    @classmethod
    def take(cls, watched: Mapping[str, Sequence[int]]) -> CpuSnapshot:
        return cls(
            at=time.monotonic(),
            groups={
                name: sum(_process_cpu_seconds(pid) for pid in pids)
                for name, pids in watched.items()
            },
            machine_busy=_machine_busy_seconds(),
        )


@dataclass(frozen=True)
class CpuUsage:
    """Cores used on average between two snapshots (1.0 = one core fully busy)."""

    wall_seconds: float
    groups: dict[str, float]
    machine_busy_cores: float

    @classmethod
    def between(cls, before: CpuSnapshot, after: CpuSnapshot) -> CpuUsage:
        wall = max(after.at - before.at, 1e-9)
        return cls(
            wall_seconds=wall,
            groups={
                name: (after.groups[name] - before.groups.get(name, 0.0)) / wall
                for name in after.groups
            },
            machine_busy_cores=(after.machine_busy - before.machine_busy) / wall,
        )

    def others_cores(self, *, also_ours: float = 0.0) -> float:
        """Busy cores not explained by the watched groups (nor `also_ours`, e.g. the load
        generator): other people's work, the kernel, this harness itself."""
        return max(0.0, self.machine_busy_cores - sum(self.groups.values()) - also_ours)

    def as_dict(self) -> dict[str, float]:
        return {
            "wall_s": self.wall_seconds,
            "machine_busy_cores": self.machine_busy_cores,
            **{f"cores.{name}": value for name, value in self.groups.items()},
        }
