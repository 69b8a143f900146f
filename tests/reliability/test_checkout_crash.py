"""Inventory killed with SIGKILL in the middle of a checkout burst: after a restart every order
gets exactly one answer (reserved or failed), and confirmed or cancelled orders leave no stock
held, none lost and none double-counted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from bazaar_chassis import Event
from bazaar_chassis.nats_server import NatsServer, free_port
from bazaar_chassis.testing import add_streams, eventually, identity_headers, publish
from bazaar_chassis.testing.identity import gateway_public_key_pem

SKU = "CRASH-1"
IN_STOCK = 15
ORDERS = [f"order-{n:02d}" for n in range(40)]


class Inventory:
    """One inventory process at a time on one data dir and port; `kill` is SIGKILL."""

    def __init__(self, data_dir: Path, nats_url: str) -> None:
        self.data_dir, self.nats_url, self.port = data_dir, nats_url, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "BAZAAR_DATA_DIR": str(self.data_dir),
            "BAZAAR_NATS_URL": self.nats_url,
            "BAZAAR_PORT": str(self.port),
            "BAZAAR_GATEWAY_PUBLIC_KEY": gateway_public_key_pem(),
            "BAZAAR_LOG_LEVEL": "warning",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bazaar_inventory"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.data_dir.parent / "inventory.log").open("ab"),
        )
        deadline = time.monotonic() + 90  # a loaded CI machine starts Python slowly
        while not self._healthy():
            assert self.process.poll() is None, "inventory exited during start-up"
            assert time.monotonic() < deadline, "inventory did not start"
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def inventory(tmp_path: Path, nats_server: NatsServer) -> Iterator[Inventory]:
    inventory = Inventory(tmp_path / "data", nats_server.url)
    yield inventory
    inventory.kill()


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "order")
    yield js
    await client.close()


async def answers(js: JetStreamContext) -> list[Event]:
    """Every order answer inventory has put in its stream (duplicates would show here)."""
    try:
        info = await js.stream_info("INVENTORY")
    except NotFoundError:
        return []
    found = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        event = Event.from_json((await js.get_msg("INVENTORY", sequence)).data or b"")
        if event.name != "inventory.stock_changed":
            found.append(event)
    return found


async def stock(inventory: Inventory) -> tuple[int, int]:
    async with httpx.AsyncClient(base_url=inventory.url, headers=identity_headers()) as client:
        body = (await client.get(f"/inventory/1/stock/{SKU}")).json()
    return body["on_hand"], body["reserved"]


async def test_a_sigkilled_inventory_answers_every_order_once_and_leaks_no_stock(
    inventory: Inventory, js: JetStreamContext
) -> None:
    inventory.start()
    async with httpx.AsyncClient(base_url=inventory.url, headers=identity_headers()) as client:
        put = await client.put(f"/inventory/1/stock/{SKU}", json={"quantity": IN_STOCK})
        assert put.status_code == 200, put.text

    lines = [{"sku": SKU, "quantity": 1, "name": "crash"}]
    await asyncio.gather(
        *(publish(js, "order.placed.v1", subject=o, data={"order_id": o, "lines": lines})
          for o in ORDERS)
    )  # fmt: skip

    async def some_answered() -> bool:
        return len(await answers(js)) >= 3

    await eventually(some_answered, timeout=30, message="inventory answered nothing")
    inventory.kill()  # mid-burst: some orders answered, some not yet
    inventory.start()

    async def all_answered_once() -> list[Event]:
        found = await answers(js)
        per_order = Counter(e.subject for e in found)
        assert set(per_order) == set(ORDERS), f"{len(per_order)} of {len(ORDERS)} answered"
        assert max(per_order.values()) == 1, per_order.most_common(3)
        return found

    found = await eventually(all_answered_once, timeout=60, message="orders left unanswered")
    reserved = sorted(e.subject for e in found if e.name == "inventory.stock_reserved")
    assert len(reserved) == IN_STOCK
    assert await stock(inventory) == (IN_STOCK, IN_STOCK)

    confirmed, cancelled = reserved[:10], reserved[10:]
    await asyncio.gather(
        *(publish(js, "order.confirmed.v1", subject=o, data={"order_id": o}) for o in confirmed),
        *(publish(js, "order.cancelled.v1", subject=o, data={"order_id": o}) for o in cancelled),
    )
    inventory.kill()  # while settling
    inventory.start()

    async def settled() -> bool:
        return await stock(inventory) == (IN_STOCK - len(confirmed), 0)

    await eventually(settled, timeout=60, message="stock left held or lost after the crash")
