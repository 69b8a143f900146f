"""Start and stop a whole Bazaar (`bazaar up`) the way a user does, and talk to it.

The same approach as tests/e2e/conftest.py: `bazaar up` in a subprocess, wait for its
"Press Ctrl-C to stop." line, SIGINT at the end and wait for every process it started to exit.
Output is read line by line from a pipe (and copied to a log file) rather than by polling a file,
so the moment the platform became ready is known to the millisecond — the footprint scenario
(P6) times start-up with it. Per-client rate limiting is switched off: the benchmarks are one
client sending thousands of requests per second on purpose.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bazaar_chassis.caller import GUEST, Caller
from bazaar_platform.assertions import AssertionSigner
from bazaar_platform.nats_server import free_port

READY_LINE = "Press Ctrl-C to stop."
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 60.0
MINTED_TTL_SECONDS = 55.0  # services refuse assertions that live longer than 60 s
BAZAAR = str(Path(sys.executable).parent / "bazaar")
DEMO_PASSWORD = "bazaar-demo"  # noqa: S105 - the development-mode demo accounts
CUSTOMER = "shopper@bazaar.test"
MERCHANDISER = "merch@bazaar.test"


class PlatformFailed(RuntimeError):
    pass


@dataclass
class StartTiming:
    """How long `bazaar up` took: to the ready line, and what it printed as "ready in Xs"."""

    to_ready_line_s: float
    reported_ready_s: float | None


@dataclass
class Platform:
    process: subprocess.Popen[str]
    data_dir: Path
    gateway: str
    log: Path
    started_at: float
    lines: list[tuple[float, str]] = field(default_factory=list)
    ready_at: float | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    # -- output -------------------------------------------------------------------------
    def _pump(self) -> None:
        """Copy the supervisor's output to the log, timestamping each line (thread)."""
        assert self.process.stdout is not None
        with open(self.log, "w") as log:
            for line in self.process.stdout:
                now = time.monotonic()
                self.lines.append((now, line))
                log.write(line)
                log.flush()
                if READY_LINE in line and self.ready_at is None:
                    self.ready_at = now
                    self._ready.set()
        self._ready.set()  # EOF: the process is gone; wake whoever waits

    def output(self) -> str:
        return "".join(line for _, line in self.lines)

    def timing(self) -> StartTiming:
        assert self.ready_at is not None, "the platform is not ready yet"
        match = re.search(r"ready in ([\d.]+)s", self.output())
        return StartTiming(
            to_ready_line_s=self.ready_at - self.started_at,
            reported_ready_s=float(match.group(1)) if match else None,
        )

    # -- what runs where ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.data_dir / "run" / "state.json").read_text())
        return state

    def url_of(self, service: str) -> str:
        for entry in self.state()["processes"]:
            if entry["name"] == service:
                return str(entry["url"])
        raise PlatformFailed(f"{service} is not in {self.data_dir}/run/state.json")

    @property
    def nats_url(self) -> str:
        return str(self.state()["nats_url"])

    def tree(self) -> list[psutil.Process]:
        """The supervisor and every process below it (services, gateway, nats-server)."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def pids(self) -> dict[str, list[int]]:
        """Process ids by component name (`nats` and `supervisor` included), for CPU accounting."""
        groups: dict[str, list[int]] = {"supervisor": [self.process.pid]}
        for entry in self.state()["processes"]:
            groups.setdefault(str(entry["name"]), []).append(int(entry["pid"]))
        known = {pid for pids in groups.values() for pid in pids}
        for child in self.tree():
            if child.pid not in known and (helper := _helper_name(child)):
                groups.setdefault(helper, []).append(child.pid)
        return groups

    # -- credentials ----------------------------------------------------------------------
    def gateway_signer(self, **options: float) -> AssertionSigner:
        """Signs identity assertions with the gateway's own secret, to call a service directly."""
        secret = (self.data_dir / "secrets" / "gateway-assertion-secret").read_text()
        return AssertionSigner(secret.strip().encode(), **options)

    def assertion(self, path_qs: str, *, caller: Caller = GUEST, method: str = "GET") -> str:
        """A single-use assertion for one direct request (assertions are bound and unique)."""
        path, _, query = path_qs.partition("?")
        service = path.split("/", 2)[1]
        return self.gateway_signer().assertion(
            caller, audience=service, method=method, path=path, query=query
        )

    def minter(self, path_qs: str, *, caller: Caller = GUEST) -> Callable[[], str]:
        """Mints single-use GET assertions for `path_qs`, each valid for up to a minute, so that
        a wrk run can use values minted before it started (bench.load.Target.mint)."""
        path, _, query = path_qs.partition("?")
        service = path.split("/", 2)[1]
        signer = self.gateway_signer(ttl_seconds=MINTED_TTL_SECONDS)
        return lambda: signer.assertion(
            caller, audience=service, method="GET", path=path, query=query
        )

    def nats_operator_password(self) -> str:
        users = json.loads((self.data_dir / "secrets" / "nats-users.json").read_text())
        return str(users["operator"])

    # -- stopping -------------------------------------------------------------------------
    def stop(self) -> None:
        """SIGINT, wait for `bazaar up` to exit, then make sure none of its children outlived it."""
        children = self.tree()[1:]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _, alive = psutil.wait_procs(children, timeout=15)
        for leftover in alive:
            leftover.kill()


def start_platform(data_dir: Path, *, port: int | None = None) -> Platform:
    """`bazaar up` on a fresh port; returns once it printed its ready line (seeded)."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "BAZAAR_GATEWAY_PORT": str(port),
        "BAZAAR_RATE_LIMIT_PER_SECOND": "0",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [BAZAAR, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    platform = Platform(
        process=process,
        data_dir=data_dir,
        gateway=f"http://127.0.0.1:{port}",
        log=data_dir.parent / f"{data_dir.name}-bazaar-up.log",
        started_at=started,
    )
    threading.Thread(target=platform._pump, name="bazaar-up-output", daemon=True).start()
    if not platform._ready.wait(START_TIMEOUT_SECONDS) or platform.ready_at is None:
        platform.stop()
        raise PlatformFailed(f"bazaar up did not become ready:\n{platform.output()}")
    return platform


@contextmanager
def running_platform(data_dir: Path) -> Iterator[Platform]:
    platform = start_platform(data_dir)
    try:
        yield platform
    finally:
        platform.stop()


def _helper_name(process: psutil.Process) -> str | None:
    """The name of a process of the tree that is no component: the bus, the fork server."""
    try:
        if process.name().startswith("nats-server"):
            return "nats"
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if "multiprocessing.forkserver" in command:
        return "fork server"
    if "multiprocessing.resource_tracker" in command:
        return "resource tracker"
    return None


def cpu_seconds_of(processes: list[psutil.Process]) -> float:
    """CPU time (user + system) the processes have used so far, summed: what start-up cost the
    machine, independent of how busy it was with other work."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


def memory_of(processes: list[psutil.Process]) -> dict[str, float]:
    """Sum of RSS and of USS (memory only that process holds) in MiB over `processes`.

    RSS double-counts shared pages (the Python interpreter, shared libraries) once per
    process; USS counts each process's private memory once; PSS charges each shared page to its
    sharers in equal parts, so its sum is the memory the tree really holds."""
    rss = uss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        uss += info.uss
        pss += info.pss
    mib = 1024 * 1024
    return {
        "rss_mib": rss / mib,
        "uss_mib": uss / mib,
        "pss_mib": pss / mib,
        "processes": float(len(processes)),
    }


class Api:
    """A small aiohttp client of the public API for scenario setup (sign-in, writes)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    async def sign_in(self, username: str, *, password: str = DEMO_PASSWORD) -> str:
        async with self.session.post(
            self.base_url + "/identity/1/token",
            data={"grant_type": "password", "username": username, "password": password},
        ) as reply:
            body = await reply.json()
            if reply.status != 200:
                raise PlatformFailed(f"cannot sign in as {username}: {reply.status} {body}")
        return str(body["access_token"])

    async def put_price(self, sku: str, amount: int, *, token: str) -> float:
        """PUT a USD price for `sku`; the round trip in milliseconds."""
        sent = time.perf_counter()
        body = {"amount": amount, "currency": "USD"}
        await self.call("PUT", f"/pricing/1/prices/{sku}", token=token, json_body=body)
        return (time.perf_counter() - sent) * 1000

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """Send one request; raise PlatformFailed unless the status is one of `ok`."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.base_url + path, json=json_body, headers=sent
        ) as reply:
            body = await reply.json(content_type=None)
            if reply.status not in ok:
                raise PlatformFailed(f"{method} {path} -> {reply.status}: {body}")
            return body
