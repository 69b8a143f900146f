"""A service process killed with SIGKILL between commit and publish loses nothing: after a
restart its outbox delivers every accepted write's event, and each exactly once in the stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from bazaar_chassis.testing import eventually, eventually_sync
from bazaar_chassis.testing.identity import assertion_key_for, identity_headers
from bazaar_platform.nats_server import NatsServer, free_port


def start_product(data_dir: Path, nats_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BAZAAR_DATA_DIR": str(data_dir),
        "BAZAAR_NATS_URL": nats_url,
        "BAZAAR_PORT": str(port),
        "BAZAAR_ASSERTION_KEY": assertion_key_for("product"),
        "BAZAAR_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bazaar_product"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError("product exited during start-up")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    eventually_sync(healthy, timeout=30, message="product did not start")
    return process


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def product_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


async def stream_payloads(nats_url: str) -> list[str]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        try:
            info = await js.stream_info("PRODUCT")
        except NotFoundError:
            return []
        if info.state.messages == 0:  # created, nothing published yet
            return []

        payloads = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg("PRODUCT", sequence)
            payloads.append((message.data or b"").decode())
        return payloads
    finally:
        await client.close()


async def test_a_sigkilled_service_delivers_every_accepted_write_once_after_restart(
    tmp_path: Path,
    nats_server: NatsServer,
    port: int,
    product_processes: list[subprocess.Popen[bytes]],
) -> None:
    nats_server.stop()  # the bus is away: accepted writes can only wait in the outbox
    first = start_product(tmp_path, nats_server.url, port)
    product_processes.append(first)
    skus = [f"KILL-{i}" for i in range(5)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for sku in skus:
            reply = await client.post(
                "/product/1/products",
                json={"sku": sku, "name": sku},
                headers=identity_headers(method="POST", path="/product/1/products"),
            )
            assert reply.status_code == 201

    first.send_signal(signal.SIGKILL)
    first.wait()

    nats_server.start()
    product_processes.append(start_product(tmp_path, nats_server.url, port))

    async def all_published_once() -> bool:
        payloads = await stream_payloads(nats_server.url)
        found = sorted(sku for sku in skus for p in payloads if f'"subject": "{sku}"' in p)
        assert found == skus, found
        return True

    await eventually(all_published_once, timeout=20, message="events were lost or duplicated")
    assert len(await stream_payloads(nats_server.url)) == len(skus)
