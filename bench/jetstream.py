"""Raw JetStream with nats-py, as the yardstick for the platform's event path (P3, P4).

The platform's events go outbox → relay → JetStream → durable consumer → database. To say what
that pipeline costs, we need what JetStream alone does on the same server in the same run:
publish → consume latency (P3) and publish rates (P4). These helpers use a stream of their own
(`BENCH`, subjects `bench.>`), file storage like the platform's streams, and delete it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from bazaar_chassis.pull import ContinuousPull
from bazaar_platform.provisioning import DUPLICATE_WINDOW_SECONDS

STREAM = "BENCH"
SUBJECT = "bench.events"
CHASSIS_FETCH_BATCH = 100  # what bazaar_chassis.consumer asks for per pull


@asynccontextmanager
async def bench_stream(
    url: str, *, user: str | None = None, password: str | None = None
) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    """A connection and a fresh BENCH stream, removed again at the end."""
    client = await nats.connect(url, user=user, password=password, connect_timeout=5)
    js = client.jetstream()
    with contextlib.suppress(Exception):
        await js.delete_stream(STREAM)
    await js.add_stream(
        StreamConfig(
            name=STREAM,
            subjects=["bench.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )
    )
    try:
        yield client, js
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(STREAM)
        await client.drain()


class Arrivals:
    """Futures for message ids, resolved with the monotonic time the consumer got them."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[float]] = {}

    def expect(self, message_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        return future

    def arrived(self, message: Msg) -> None:
        future = self._waiting.pop(message.data.decode(), None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


@asynccontextmanager
async def consuming(js: JetStreamContext, arrivals: Arrivals, *, style: str) -> AsyncIterator[None]:
    """Consume the BENCH stream while the block runs.

    `push`: a push consumer, delivered as soon as stored — the least JetStream can do.
    `chassis-fetch`: a durable pull consumer read exactly as bazaar_chassis.consumer reads it
    (`bazaar_chassis.pull.ContinuousPull`, batches of 100) — what that pattern alone costs.
    """
    if style == "push":

        async def on_message(message: Msg) -> None:
            arrivals.arrived(message)
            await message.ack()

        subscription = await js.subscribe(
            SUBJECT, stream=STREAM, cb=on_message, manual_ack=True, deliver_policy=DeliverPolicy.NEW
        )
        try:
            yield
        finally:
            await subscription.unsubscribe()
        return
    if style != "chassis-fetch":
        raise ValueError(f"unknown consumer style {style!r}")
    await js.add_consumer(
        STREAM,
        ConsumerConfig(
            durable_name="bench-fetch",
            deliver_policy=DeliverPolicy.NEW,
            ack_policy=AckPolicy.EXPLICIT,
            max_ack_pending=1000,
        ),
    )
    client = js._nc  # nats-py offers no public way back from the JetStream context to its client
    pull = ContinuousPull(client, stream=STREAM, durable="bench-fetch", batch=CHASSIS_FETCH_BATCH)

    await pull.start()

    async def fetch_forever() -> None:
        while True:
            for message in await pull.next_batch():
                arrivals.arrived(message)
                await message.ack()

    task = asyncio.create_task(fetch_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pull.stop()


async def publish_to_consume_ms(
    js: JetStreamContext, *, publishers: int, messages: int, style: str, timeout_s: float = 30.0
) -> list[float]:
    """Each of `publishers` tasks publishes (awaiting the ack), then waits until the consumer got
    that message, then publishes the next; returns publish-call → arrival times in ms."""
    arrivals = Arrivals()
    samples: list[float] = []
    per_publisher = max(1, -(-messages // publishers))

    async def publisher(number: int) -> None:
        for sequence in range(per_publisher):
            message_id = f"{number}-{sequence}-{time.perf_counter_ns()}"
            arrived = arrivals.expect(message_id)
            sent = time.perf_counter()
            await js.publish(SUBJECT, message_id.encode())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    samples.append((await arrived - sent) * 1000)

    async with consuming(js, arrivals, style=style):
        await asyncio.gather(*(publisher(n) for n in range(publishers)))
    return samples


@dataclass(frozen=True)
class PublishRate:
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def publish_sync_rate(js: JetStreamContext, *, messages: int, payload: bytes) -> PublishRate:
    """`await js.publish` one after the other: one round trip per message."""
    started = time.perf_counter()
    for _ in range(messages):
        await js.publish(SUBJECT, payload)
    return PublishRate(messages, time.perf_counter() - started)


async def publish_async_rate(
    js: JetStreamContext, *, messages: int, payload: bytes, batch: int = 500
) -> PublishRate:
    """`publish_async` in batches of `batch`, waiting for each batch's acks (as the relay does)."""
    started = time.perf_counter()
    remaining = messages
    while remaining > 0:
        count = min(batch, remaining)
        acks = [await js.publish_async(SUBJECT, payload) for _ in range(count)]
        await asyncio.gather(*acks)
        remaining -= count
    return PublishRate(messages, time.perf_counter() - started)
