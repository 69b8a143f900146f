"""Watches the bus and lets a test await an event: `await probe.expect("product.recalled")`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from bazaar_chassis.envelope import Event, MalformedEvent


class EventProbe:
    """Records every Bazaar event published on the server from the moment it starts, once each
    (JetStream drops a re-published duplicate; a plain subscriber would see it twice)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Client | None = None
        self.events: list[Event] = []
        self._seen: set[str] = set()
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        self._client = await nats.connect(self._url)
        await self._client.subscribe("bazaar.>", cb=self._record)
        await self._client.flush()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def _record(self, message: Msg) -> None:
        try:
            event = Event.from_json(message.data)
        except MalformedEvent:
            return
        async with self._changed:
            if event.id in self._seen:  # re-published (two relays, a retry): one fact
                return
            self._seen.add(event.id)
            self.events.append(event)
            self._changed.notify_all()

    def matching(self, name: str, *, subject: str | None = None) -> list[Event]:
        """Events recorded so far whose `<producer>.<event>` is `name` (and `subject`, if given)."""
        return [
            e for e in self.events if e.name == name and (subject is None or e.subject == subject)
        ]

    async def expect(
        self,
        name: str,
        *,
        subject: str | None = None,
        where: Callable[[Event], bool] = lambda _e: True,
        timeout: float = 10.0,
    ) -> Event:
        """Wait for the first matching event; fail the test after `timeout` seconds."""

        def found() -> Event | None:
            return next((e for e in self.matching(name, subject=subject) if where(e)), None)

        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(found)
            except TimeoutError:
                seen = sorted({e.name for e in self.events})
                raise AssertionError(
                    f"no {name} event (subject={subject}) within {timeout}s; saw {seen}"
                ) from None
        event = found()
        assert event is not None
        return event
