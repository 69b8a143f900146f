"""Inventory or order killed with SIGKILL in the middle of a checkout burst. After a restart
inventory gives every order exactly one answer (reserved or failed) and leaves no stock held,
lost or double-counted; the order service brings every order to its final state and announces
it exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from bazaar_chassis import Caller, Event, ServiceSettings
from bazaar_chassis.testing import (
    add_streams,
    eventually,
    identity_headers,
    publish,
    served_client,
    serving,
)
from bazaar_chassis.testing.identity import ADMIN, assertion_key_for
from bazaar_platform.nats_server import NatsServer, free_port

SKU = "CRASH-1"
IN_STOCK = 15
ORDERS = [f"order-{n:02d}" for n in range(40)]


class ServiceProcess:
    """One process of a service at a time on one data dir and port; `kill` is SIGKILL."""

    def __init__(self, name: str, data_dir: Path, nats_url: str, **env: str) -> None:
        self.name, self.data_dir, self.port = name, data_dir, free_port()
        self.env = {
            **os.environ,
            "BAZAAR_DATA_DIR": str(data_dir),
            "BAZAAR_NATS_URL": nats_url,
            "BAZAAR_PORT": str(self.port),
            "BAZAAR_ASSERTION_KEY": assertion_key_for(name),
            "BAZAAR_LOG_LEVEL": "warning",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"bazaar_{self.name}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.data_dir.parent / f"{self.name}.log").open("ab"),
        )
        deadline = time.monotonic() + 90  # a loaded CI machine starts Python slowly
        while not self._healthy():
            assert self.process.poll() is None, f"{self.name} exited during start-up"
            assert time.monotonic() < deadline, f"{self.name} did not start"
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
def inventory(tmp_path: Path, nats_server: NatsServer) -> Iterator[ServiceProcess]:
    inventory = ServiceProcess("inventory", tmp_path / "data", nats_server.url)
    yield inventory
    inventory.kill()


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await add_streams(js, "order", "inventory", "payment")
    yield js
    await client.close()


async def stream_events(js: JetStreamContext, stream: str) -> list[Event]:
    """Every event in `stream`, in order (a duplicate would show here)."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    return [
        Event.from_json((await js.get_msg(stream, sequence)).data or b"")
        for sequence in range(info.state.first_seq, info.state.last_seq + 1)
    ]


async def answers(js: JetStreamContext) -> list[Event]:
    """Every order answer inventory has put in its stream."""
    found = await stream_events(js, "INVENTORY")
    return [e for e in found if e.name != "inventory.stock_changed"]


async def stock(inventory: ServiceProcess) -> tuple[int, int]:
    async with served_client(inventory.url, ADMIN) as client:
        body = (await client.get(f"/inventory/1/stock/{SKU}")).json()
    return body["on_hand"], body["reserved"]


async def test_a_sigkilled_inventory_answers_every_order_once_and_leaks_no_stock(
    inventory: ServiceProcess, js: JetStreamContext
) -> None:
    inventory.start()
    async with served_client(inventory.url, ADMIN) as client:
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


SHOPPERS = [Caller(f"shopper-{n:02d}", "user", "public", ("customer",)) for n in range(20)]


async def test_a_sigkilled_order_service_settles_every_order_and_announces_it_once(
    tmp_path: Path,
    nats_server: NatsServer,
    service_settings: ServiceSettings,
    js: JetStreamContext,
    checkout_gateway: Callable[..., FastAPI],
) -> None:
    stand_in = checkout_gateway(sku=SKU, amount=900)
    async with serving(lambda _settings: stand_in, service_settings) as gateway:
        order = ServiceProcess(
            "order", tmp_path / "data", nats_server.url, BAZAAR_GATEWAY_URL=gateway.url
        )
        try:
            await _settle_through_a_crash(order, js)
        finally:
            order.kill()


async def _settle_through_a_crash(order: ServiceProcess, js: JetStreamContext) -> None:
    order.start()
    async with served_client(order.url) as client:

        async def place(shopper: Caller) -> str:
            reply = await client.post(
                "/order/1/orders",
                json={"cart_id": f"cart-{shopper.subject}", "payment": {"card_number": "4" * 16}},
                headers={"Idempotency-Key": "k", **identity_headers(shopper)},
            )
            assert reply.status_code == 201, reply.text
            return str(reply.json()["id"])

        order_ids = [await place(shopper) for shopper in SHOPPERS]
    paid, declined = order_ids[::2], order_ids[1::2]

    def fact(type: str, order_id: str, **data: object) -> Awaitable[Event]:
        return publish(js, type, subject=order_id, data={"order_id": order_id, **data})

    await asyncio.gather(
        *(fact("inventory.stock_reserved.v1", o, lines=[]) for o in order_ids),
        *(fact("payment.captured.v1", o) for o in paid),
        *(fact("payment.declined.v1", o, reason="card declined") for o in declined),
    )

    async def announcements() -> list[Event]:
        found = await stream_events(js, "ORDER")
        return [e for e in found if e.name in ("order.confirmed", "order.cancelled")]

    async def some_announced() -> bool:
        return len(await announcements()) >= 2

    await eventually(some_announced, timeout=30, message="the order service settled nothing")
    order.kill()  # mid-stream: some orders settled, some not yet
    order.start()

    async def each_announced_once() -> bool:
        found = await announcements()
        per_order = Counter(e.subject for e in found)
        assert set(per_order) == set(order_ids), f"{len(per_order)} of {len(order_ids)} settled"
        assert max(per_order.values()) == 1, per_order.most_common(3)
        return True

    await eventually(each_announced_once, timeout=60, message="orders left unsettled")
    kinds = {e.subject: e.name for e in await announcements()}
    assert {kinds[o] for o in paid} == {"order.confirmed"}
    assert {kinds[o] for o in declined} == {"order.cancelled"}
    async with served_client(order.url) as client:
        for shopper, order_id in zip(SHOPPERS, order_ids, strict=True):
            body = (
                await client.get(f"/order/1/orders/{order_id}", headers=identity_headers(shopper))
            ).json()
            expected = ("confirmed", "paid") if order_id in paid else ("cancelled", "failed")
            assert (body["status"], body["payment_status"]) == expected
