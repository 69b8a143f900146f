"""ContinuousPull hands events over as they come, across expired requests and server restarts."""

from __future__ import annotations

import asyncio

import nats
from nats.js.api import AckPolicy, ConsumerConfig

from bazaar_chassis.pull import ContinuousPull
from bazaar_platform.nats_server import NatsServer


async def test_events_published_after_the_pull_request_expired_are_still_delivered(
    nats_server: NatsServer,
) -> None:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    await js.add_consumer("T", ConsumerConfig(durable_name="d", ack_policy=AckPolicy.EXPLICIT))
    pull = ContinuousPull(
        client, stream="T", durable="d", batch=10, expires_seconds=0.3, heartbeat_seconds=0.1
    )
    await pull.start()
    received: list[bytes] = []
    for round_ in range(3):  # each round outlives the previous request's expiry
        await asyncio.sleep(0.4)  # let the open request expire
        for n in range(15):  # more than one batch
            await js.publish("t.x", f"{round_}-{n}".encode())
        while len(received) < 15 * (round_ + 1):
            async with asyncio.timeout(10):
                batch = await pull.next_batch()
            assert 1 <= len(batch) <= 10
            for message in batch:
                received.append(message.data)
                await message.ack()
    assert received == [f"{r}-{n}".encode() for r in range(3) for n in range(15)]
    await pull.stop()
    await client.close()


async def test_a_pull_survives_a_server_restart(nats_server: NatsServer) -> None:
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    client = await nats.connect(
        nats_server.url, reconnect_time_wait=0.1, reconnected_cb=on_reconnect
    )
    js = client.jetstream()
    await js.add_stream(name="T", subjects=["t.>"])
    await js.add_consumer("T", ConsumerConfig(durable_name="d", ack_policy=AckPolicy.EXPLICIT))
    pull = ContinuousPull(client, stream="T", durable="d", heartbeat_seconds=0.2)
    await pull.start()
    nats_server.stop()
    nats_server.start()
    async with asyncio.timeout(10):
        await reconnected.wait()
    await js.publish("t.x", b"after the restart")

    async with asyncio.timeout(10):
        (message,) = await pull.next_batch()
    assert message.data == b"after the restart"
    await pull.stop()
    await client.close()
