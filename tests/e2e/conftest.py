"""The whole platform, started the way a user starts it (`bazaar up`), for end-to-end tests.

Start-up takes 30 s to 2 min, so every module that needs only a default platform shares ONE
(`platform`, session-scoped) and each test uses its own random SKUs, carts and keys, so that tests
depend neither on each other nor on order; they must leave shared limits alone (the sign-in
throttle allows one address 20 failures). A module that needs its own platform (a first start, a
restart, another mode or database) overrides `platform` or calls `start_platform`. The e2e tests
run after the rest of the suite, those with their own platforms first, so the shared one runs
only while its tests do.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from bazaar_chassis.testing import eventually_sync
from bazaar_cli.demo_data import PRODUCTS, DemoProduct
from bazaar_cli.state import RunState
from bazaar_platform.nats_server import free_port

START_TIMEOUT_SECONDS = 120.0
BAZAAR = str(Path(sys.executable).parent / "bazaar")


@dataclass
class Platform:
    process: subprocess.Popen[str]
    data_dir: Path
    gateway: str
    output: Path

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def pid_of(self, name: str) -> int:
        """The pid `bazaar up` recorded for component `name` (forked components all show the
        fork server's command line, so look them up by name)."""
        state = RunState.load(self.data_dir)
        assert state is not None, "bazaar up wrote no state"
        (pid,) = [entry.pid for entry in state.processes if entry.name == name]
        return pid

    def component(self, name: str) -> psutil.Process:
        """The running process of component `name`."""
        return psutil.Process(self.pid_of(name))

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0, *, twice: bool = False) -> int:
        """Stop `bazaar up` as Ctrl-C does (`twice`: a second Ctrl-C once it says "stopping…")
        and check that nothing it started outlives it."""
        children = self.children()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            if twice:
                eventually_sync(lambda: "stopping…" in self.output.read_text(), timeout=timeout)
                self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        _, alive = psutil.wait_procs(children, timeout=15)
        for leftover in alive:
            leftover.kill()
        assert not alive, f"processes outlived `bazaar up`: {[p.name() for p in alive]}"
        return code


def start_platform(
    data_dir: Path, *, port: int | None = None, extra_args: tuple[str, ...] = ()
) -> Platform:
    port = port or free_port()
    output = data_dir.parent / f"bazaar-up-{port}.log"
    env = {**os.environ, "BAZAAR_GATEWAY_PORT": str(port), "NO_COLOR": "1", "COLUMNS": "200"}
    handle = open(output, "w")  # noqa: SIM115 - the child writes to it until it exits
    process = subprocess.Popen(
        [BAZAAR, "up", "--data-dir", str(data_dir), *extra_args],
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    platform = Platform(process, data_dir, f"http://127.0.0.1:{port}", output)

    def said_ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"bazaar up exited early:\n{output.read_text()}")
        return "Press Ctrl-C to stop." in output.read_text()

    try:
        eventually_sync(said_ready, timeout=START_TIMEOUT_SECONDS, interval=0.1)
    except AssertionError:
        platform.stop()
        raise AssertionError(f"bazaar up not ready in time:\n{output.read_text()}") from None
    return platform


def seeded_in(category: str) -> list[DemoProduct]:
    """The demo products `bazaar up` seeds into `category`, in their placement order."""
    return [p for p in PRODUCTS if p.category == category]


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The default platform every e2e module shares (see the module docstring)."""
    running = start_platform(tmp_path_factory.mktemp("e2e") / "data")
    yield running
    running.stop()


def shares_the_platform(item: pytest.Item) -> bool:
    """Whether `item` uses the session's shared platform (not a module's own or none)."""
    definitions = getattr(item, "_fixtureinfo", None)
    chain = list(definitions.name2fixturedefs.get("platform", [])) if definitions else []
    return bool(chain) and chain[-1].scope == "session"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The rest of the suite first, then the e2e tests with platforms of their own, then those
    on the shared platform: it starts at its first test and stops at the session's end, so it
    is never up (a dozen processes) while other tests run. The order within each is kept."""
    here = Path(__file__).parent
    e2e = [item for item in items if here in item.path.parents]
    if not e2e:
        return
    others = [item for item in items if here not in item.path.parents]
    items[:] = [
        *others,
        *[item for item in e2e if not shares_the_platform(item)],
        *[item for item in e2e if shares_the_platform(item)],
    ]


def sign_in(gateway: str, username: str, password: str = "bazaar-demo") -> str:
    reply = httpx.post(
        f"{gateway}/identity/1/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def client(platform: Platform, username: str | None = None, *, timeout: float = 15) -> httpx.Client:
    """A client of the public API, signed in as `username` (a guest without one)."""
    headers = {}
    if username is not None:
        headers["Authorization"] = f"Bearer {sign_in(platform.gateway, username)}"
    return httpx.Client(base_url=platform.gateway, timeout=timeout, headers=headers)


@pytest.fixture
def gateway(platform: Platform) -> Iterator[httpx.Client]:
    """A client of the public API, signed in as the demo merchandiser."""
    token = sign_in(platform.gateway, "merch@bazaar.test")
    with httpx.Client(
        base_url=platform.gateway, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture
def guest(platform: Platform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.gateway, timeout=10) as client:
        yield client
