"""wrk as the load generator: run it, parse its report, and account for its own CPU.

wrk (C, epoll) is far cheaper per request than any Python client, so it can saturate a Python
service without being the bottleneck itself; we still measure that. Its CPU time comes from the
kernel's rusage of the reaped child (`os.wait4`): exact, and still available after exit, which
psutil cannot give for a process that is gone. cpu time / wall time is the number of cores wrk
kept busy; divided by the machine's cores it is wrk's share of the machine.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.cpu import CPU_COUNT, CpuSnapshot, CpuUsage

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_BYTE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_NUMBER = r"(\d+(?:\.\d+)?)"


class WrkFailed(RuntimeError):
    """wrk could not run or printed something we do not understand."""


def parse_duration_ms(text: str) -> float:
    """'68.83ms' -> 68.83; '500.00us' -> 0.5; '1.02s' -> 1020.0; '2.00m' -> 120000.0."""
    match = re.fullmatch(_NUMBER + r"(us|ms|s|m|h)", text.strip())
    if not match:
        raise WrkFailed(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_bytes(text: str) -> float:
    """'1.95MB' -> 2044723.2; '512.00B' -> 512.0 (wrk's units are binary)."""
    match = re.fullmatch(_NUMBER + r"([KMGTP]?)B", text.strip())
    if not match:
        raise WrkFailed(f"not a wrk byte count: {text!r}")
    return float(match.group(1)) * _BYTE_UNITS[match.group(2)]


def parse_count(text: str) -> float:
    """'461.27' -> 461.27; '1.23k' -> 1230.0 (wrk's Req/Sec column uses metric suffixes)."""
    match = re.fullmatch(_NUMBER + r"([kMG]?)", text.strip())
    if not match:
        raise WrkFailed(f"not a wrk count: {text!r}")
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}[match.group(2)]
    return float(match.group(1)) * scale


@dataclass(frozen=True)
class WrkReport:
    """What wrk printed, in plain units (ms, bytes, requests per second)."""

    requests: int
    duration_s: float
    requests_per_s: float
    bytes_read: float
    latency_avg_ms: float
    latency_max_ms: float
    percentiles_ms: dict[str, float]  # "50" -> ms, from --latency
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx: int = 0

    @property
    def p50_ms(self) -> float:
        return self.percentiles_ms.get("50", math.nan)

    @property
    def p99_ms(self) -> float:
        return self.percentiles_ms.get("99", math.nan)

    @property
    def errors(self) -> int:
        """Requests that did not get a 2xx/3xx answer, or sockets that failed."""
        return self.non_2xx + sum(self.socket_errors.values())


def parse_wrk_output(text: str) -> WrkReport:
    """Parse wrk 4.x's human report (run with --latency)."""
    summary = re.search(r"(\d+) requests in (\S+), (\S+) read", text)
    rate = re.search(r"Requests/sec:\s+" + _NUMBER, text)
    latency = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.MULTILINE)
    if not (summary and rate and latency):
        raise WrkFailed(f"unexpected wrk output:\n{text}")
    percentiles = {
        match.group(1): parse_duration_ms(match.group(2))
        for match in re.finditer(r"^\s+(\d+)%\s+(\S+)\s*$", text, re.MULTILINE)
    }
    errors: dict[str, int] = {}
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket:
        errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True)
        )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkReport(
        requests=int(summary.group(1)),
        duration_s=parse_duration_ms(summary.group(2)) / 1000.0,
        requests_per_s=float(rate.group(1)),
        bytes_read=parse_bytes(summary.group(3)),
        latency_avg_ms=parse_duration_ms(latency.group(1)),
        latency_max_ms=parse_duration_ms(latency.group(3)),
        percentiles_ms=percentiles,
        socket_errors=errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


@dataclass(frozen=True)
class LoadSettings:
    """How hard to push: the same for every candidate of a scenario, so they compare."""

    duration_s: int = 5  # wrk takes whole seconds only
    connections: int = 32
    threads: int = 1
    timeout_s: int = 10


@dataclass(frozen=True)
class WrkRun:
    """One timed wrk run: its report, its own CPU, and where the rest of the CPU went."""

    report: WrkReport
    wrk_cores: float  # wrk's CPU seconds / wall seconds
    cpu: CpuUsage

    @property
    def wrk_machine_share(self) -> float:
        return self.wrk_cores / CPU_COUNT

    def figures(self) -> dict[str, float]:
        """The flat per-round record that goes to benchmarks.json."""
        report = self.report
        return {
            "requests_per_s": report.requests_per_s,
            "requests": float(report.requests),
            "p50_ms": report.p50_ms,
            "p75_ms": report.percentiles_ms.get("75", math.nan),
            "p90_ms": report.percentiles_ms.get("90", math.nan),
            "p99_ms": report.p99_ms,
            "max_ms": report.latency_max_ms,
            "errors": float(report.errors),
            "wrk_cores": self.wrk_cores,
            "wrk_machine_share": self.wrk_machine_share,
            "others_cores": self.cpu.others_cores(also_ours=self.wrk_cores),
            **self.cpu.as_dict(),
        }


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise WrkFailed("wrk is not installed: `apt-get install -y wrk` (./scripts/bench does it)")
    return found


def run_wrk(
    url: str,
    *,
    load: LoadSettings,
    headers: Mapping[str, str] | None = None,
    watched: Mapping[str, Sequence[int]] | None = None,
    script: Path | None = None,
) -> WrkRun:
    """Run wrk against `url` (loopback only) and measure CPU of wrk and of `watched` pids;
    `script` is a wrk Lua script (see `per_request_header_script`)."""
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise WrkFailed(f"benchmarks only send traffic to this machine's loopback, not {url}")
    command = [
        wrk_binary(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration_s}s",
        f"--timeout={load.timeout_s}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    with tempfile.TemporaryFile("w+") as output:
        before = CpuSnapshot.take(watched or {})
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        after = CpuSnapshot.take(watched or {})
        process.returncode = os.waitstatus_to_exitcode(status)  # we reaped it ourselves
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise WrkFailed(f"wrk exited with {process.returncode}:\n{text}")
    return WrkRun(
        report=parse_wrk_output(text),
        wrk_cores=(usage.ru_utime + usage.ru_stime) / wall,
        cpu=CpuUsage.between(before, after),
    )


_PER_REQUEST_LUA = """
local values, thread_count = {}, %(threads)d
for line in io.lines("%(values)s") do values[#values + 1] = line end
local thread_number, sent = 0, 0
local counter = 0
function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
end
function init(args)
  thread_number = tonumber(wrk.thread:get("number")) or 0
end
function request()
  local index = thread_number + sent * thread_count + 1
  sent = sent + 1
  wrk.headers["%(header)s"] = values[index] or "exhausted"
  return wrk.format(nil)
end
"""


def per_request_header_script(
    directory: Path, *, header: str, values: Sequence[str], threads: int
) -> Path:
    """A wrk script that sends each value of `values` once, as `header`, one per request.

    Services accept each identity assertion once (replay protection), so a direct arm cannot
    send one fixed header; it sends pre-minted ones. When they run out, requests carry an
    invalid one and show up as errors (non-2xx), never as silently cheaper requests.
    """
    directory.mkdir(parents=True, exist_ok=True)
    values_file = directory / f"{header.lower()}.values"
    values_file.write_text("\n".join(values) + "\n")
    script = directory / f"{header.lower()}.lua"
    script.write_text(
        _PER_REQUEST_LUA % {"threads": threads, "values": values_file, "header": header}
    )
    return script


def report_as_dict(report: WrkReport) -> dict[str, object]:
    return asdict(report)
