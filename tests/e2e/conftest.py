"""The whole platform, started the way a user starts it (`bazaar up`), for end-to-end tests.

One platform per test module (start-up takes seconds); tests use their own random SKUs and keys
so they do not depend on each other or on order.
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

from bazaar_chassis.nats_server import free_port
from bazaar_chassis.testing import eventually_sync
from bazaar_cli.demo_data import PRODUCTS, DemoProduct

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

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60.0) -> int:
        children = self.children()
        if self.process.poll() is None:
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


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = start_platform(tmp_path_factory.mktemp("e2e") / "data")
    yield running
    running.stop()


def sign_in(gateway: str, username: str, password: str = "bazaar-demo") -> str:
    reply = httpx.post(
        f"{gateway}/identity/1/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


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
