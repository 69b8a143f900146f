"""Publishes facts as their producers would (CloudEvents on the producer's own stream), so a
consumer is tested on its own, without the producing service (M3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import nats
from nats.js import JetStreamContext

from bazaar_chassis.envelope import Event
from bazaar_chassis.testing.producing import add_streams


class FactPublisher:
    """`await facts.publish("order.placed.v1", subject=..., sequence=..., data={...})`."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    @classmethod
    @asynccontextmanager
    async def connected(cls, url: str, producers: Iterable[str]) -> AsyncIterator[FactPublisher]:
        """Connected to the server at `url`, with the streams of `producers` created."""
        client = await nats.connect(url)
        try:
            js = client.jetstream()
            await add_streams(js, *producers)
            yield cls(js)
        finally:
            await client.close()

    async def publish(
        self, type: str, *, subject: str, sequence: int, data: dict[str, Any]
    ) -> Event:
        """Publish one fact with its id as `Nats-Msg-Id`, as the outbox relay does."""
        event = Event(type=type, subject=subject, sequence=sequence, data=data, source="/test/0")
        await self.js.publish(
            event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
        )
        return event

    async def redeliver(self, event: Event) -> None:
        """The same event once more, past the stream's duplicate window (a consumer's inbox,
        not JetStream, must make it change nothing)."""
        await self.js.publish(event.nats_subject, event.to_json())
