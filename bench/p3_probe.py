"""P3's probe of the platform: bench SKUs, writers that PUT prices, and a watcher that polls the
catalog until each new price shows.

The watcher keeps one request in flight, whatever the number of writers (50 pollers every 2 ms
would saturate the catalog and measure the polling): the product endpoint when one SKU is pending,
the bench category's page (all bench SKUs) when several are, ~2 ms apart. Each sample is
bracketed: the new price became visible after the previous poll was sent (or after the write was
acknowledged, if later) and before the poll that saw it returned; the upper bound is the
conservative figure, the lower one says how much of it is the polling's resolution.

`EventTrail` watches the same writes pass through NATS, passively, as the operator: when the
price event was stored in the PRICING stream (seen by an ordered consumer of our own) and when
the catalog's durable consumer acknowledged it (it acks only after its database commit, so that
is when the new price became readable). That splits each sample into relay, consumer and read
time without touching the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from bench.platform import Api

CATEGORY = "bench-p3"
POLL_INTERVAL_S = 0.002
VISIBLE_TIMEOUT_S = 30.0
CONFIGURATION_CAP_S = 90.0  # no configuration runs longer than this, whatever --writes says


def sku(number: int) -> str:
    return f"BENCH-P3-{number:03d}"


async def stocked_product(api: Api, token: str, *, code: str, name: str, stock: int) -> None:
    """A product (idempotent), its price of 10.00 USD and `stock` units on hand."""
    await api.call(
        "POST",
        "/product/1/products",
        token=token,
        json_body={"sku": code, "name": name},
        ok=(201, 409),
    )
    await api.call(
        "PUT",
        f"/pricing/1/prices/{code}",
        token=token,
        json_body={"amount": 1000, "currency": "USD"},
    )
    await api.call("PUT", f"/inventory/1/stock/{code}", token=token, json_body={"quantity": stock})


async def create_skus(api: Api, token: str, count: int) -> None:
    """Products, prices, stock and placements for `count` bench SKUs (idempotent)."""
    await api.call(
        "PUT",
        f"/category/1/categories/{CATEGORY}",
        token=token,
        json_body={"name": "Benchmark P3", "parent": None, "position": 90},
    )
    limit = asyncio.Semaphore(8)

    async def one(number: int) -> None:
        code = sku(number)
        async with limit:
            await stocked_product(api, token, code=code, name=f"Bench item {number}", stock=100)
            await api.call(
                "PUT",
                f"/category/1/categories/{CATEGORY}/products/{code}",
                token=token,
                json_body={"position": number},
            )

    await asyncio.gather(*(one(n) for n in range(1, count + 1)))


@dataclass(frozen=True)
class Visibility:
    """When a write became visible, as seconds after its acknowledgement: within (lower, upper]."""

    lower_s: float
    upper_s: float


@dataclass
class _Pending:
    amount: int
    acknowledged: float
    future: asyncio.Future[Visibility]


class Watcher:
    """Polls the catalog directly until each expected (sku, amount) shows; one request at a time."""

    def __init__(
        self, session: aiohttp.ClientSession, catalog: str, assertion: Callable[[str], str]
    ) -> None:
        self._session = session
        self._catalog = catalog
        self._assertion = assertion  # a fresh one per poll: a service accepts each only once
        self._pending: dict[str, _Pending] = {}
        self._wake = asyncio.Event()
        self.polls = 0

    def expect(self, code: str, amount: int, *, acknowledged: float) -> asyncio.Future[Visibility]:
        future: asyncio.Future[Visibility] = asyncio.get_running_loop().create_future()
        self._pending[code] = _Pending(amount, acknowledged, future)
        self._wake.set()
        return future

    async def _seen(self) -> dict[str, int]:
        if len(self._pending) == 1:
            (code,) = self._pending
            path = f"/catalog/1/products/{code}"
        else:
            path = f"/catalog/1/categories/{CATEGORY}/products?limit=100"
        headers = {"Bazaar-Identity": self._assertion(path)}
        async with self._session.get(self._catalog + path, headers=headers) as reply:
            body: dict[str, Any] = await reply.json() if reply.status == 200 else {}
        self.polls += 1
        items = body.get("items", [body] if "sku" in body else [])
        return {item["sku"]: (item.get("price") or {}).get("amount", -1) for item in items}

    async def run(self) -> None:
        previous_sent = time.perf_counter()
        while True:
            if not self._pending:
                self._wake.clear()
                await self._wake.wait()
            sent = time.perf_counter()
            seen = await self._seen()
            received = time.perf_counter()
            for code, pending in list(self._pending.items()):
                if seen.get(code, -1) >= pending.amount:
                    del self._pending[code]
                    lower = max(previous_sent, pending.acknowledged) - pending.acknowledged
                    upper = received - pending.acknowledged
                    if not pending.future.done():
                        pending.future.set_result(Visibility(lower, upper))
            previous_sent = sent
            await asyncio.sleep(POLL_INTERVAL_S)


class EventTrail:
    """When each price event was stored in JetStream and applied (acked) by the catalog."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._stored: dict[tuple[str, int], tuple[float, int]] = {}  # (sku, amount) -> t, seq
        self._applied: dict[int, float] = {}  # stream sequence -> t
        self._subscriptions: list[Any] = []

    async def start(self) -> None:
        js = self._client.jetstream()
        self._subscriptions = [
            await js.subscribe(
                "bazaar.pricing.price_changed",
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                cb=self._on_stored,
            ),
            await self._client.subscribe("$JS.ACK.PRICING.catalog.>", cb=self._on_applied),
        ]

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _on_stored(self, message: Msg) -> None:
        now = time.perf_counter()
        with contextlib.suppress(ValueError, KeyError, TypeError, StopIteration):
            event = json.loads(message.data)
            amount = next(
                int(price["amount"])
                for price in event["data"]["base_prices"]
                if price["currency"] == "USD"
            )
            self._stored[(event["subject"], amount)] = (now, message.metadata.sequence.stream)

    async def _on_applied(self, message: Msg) -> None:
        # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
        parts = message.subject.split(".")
        if len(parts) == 9:
            self._applied.setdefault(int(parts[5]), time.perf_counter())

    def hops(self, code: str, amount: int, acknowledged: float) -> tuple[float, float]:
        """(ack → stored, ack → applied) in ms; NaN where not seen."""
        stored, sequence = self._stored.get((code, amount), (math.nan, -1))
        applied = self._applied.get(sequence, math.nan)
        return (stored - acknowledged) * 1000, (applied - acknowledged) * 1000


@dataclass
class WriteSamples:
    """One configuration's writes, in ms: visibility bounds, hops, PUT round trips."""

    upper_ms: list[float] = field(default_factory=list)
    lower_ms: list[float] = field(default_factory=list)
    stored_ms: list[float] = field(default_factory=list)
    applied_ms: list[float] = field(default_factory=list)
    put_ms: list[float] = field(default_factory=list)
    polls: int = 0
    seconds: float = 0.0


async def write_and_watch(
    api: Api,
    token: str,
    watcher: Watcher,
    trail: EventTrail,
    *,
    writers: int,
    writes: int,
    amounts: Iterator[int],
) -> WriteSamples:
    """`writes` price writes by `writers` concurrent writers, each writing its own SKU and
    waiting until the catalog shows it before writing again (closed loop)."""
    samples = WriteSamples()
    per_writer = max(1, -(-writes // writers))
    started = time.monotonic()
    polls_before = watcher.polls
    deadline = started + CONFIGURATION_CAP_S
    written: list[tuple[str, int, float]] = []

    async def writer(number: int) -> None:
        code = sku(number)
        for _ in range(per_writer):
            if time.monotonic() > deadline:
                return
            amount = next(amounts)
            samples.put_ms.append(await api.put_price(code, amount, token=token))
            acknowledged = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(VISIBLE_TIMEOUT_S):
                    seen = await watcher.expect(code, amount, acknowledged=acknowledged)
                    samples.upper_ms.append(seen.upper_s * 1000)
                    samples.lower_ms.append(seen.lower_s * 1000)
                    written.append((code, amount, acknowledged))

    await asyncio.gather(*(writer(n) for n in range(1, writers + 1)))
    samples.seconds = time.monotonic() - started
    samples.polls = watcher.polls - polls_before
    await asyncio.sleep(0.05)  # the last acks may still be on their way to us
    for code, amount, acknowledged in written:
        stored, applied = trail.hops(code, amount, acknowledged)
        samples.stored_ms.append(stored)
        samples.applied_ms.append(applied)
    return samples
