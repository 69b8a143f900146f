"""A continuous pull from a durable JetStream consumer: events are handed over as they arrive.

nats-py's `fetch(n)` lingers until n messages came or its timeout passed, so a lone event waits
for the timeout (and a no-wait follow-up is turned into a lingering one by its `expires`). This
keeps pull requests open instead, as the official clients' "consume" does: it asks for a batch,
takes whatever has arrived (at least one message), asks for more when half the requested
messages were delivered, and renews a request the server expired. Idle heartbeats from the
server tell a quiet consumer from a lost request (after a server restart, say).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

STATUS_HEADER = "Status"
PENDING_HEADER = "Nats-Pending-Messages"


class PullGone(Exception):
    """The consumer cannot be pulled from any more (deleted, or the request was refused)."""


class ContinuousPull:
    def __init__(
        self,
        client: Client,
        *,
        stream: str,
        durable: str,
        batch: int = 100,
        expires_seconds: float = 30.0,
        heartbeat_seconds: float = 2.0,
    ) -> None:
        self._client = client
        self._subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._batch = batch
        self._expires_ns = int(expires_seconds * 1e9)
        self._heartbeat = heartbeat_seconds
        self._arrived: deque[Msg] = deque()
        self._arrival = asyncio.Event()
        self._inbox = client.new_inbox()
        self._subscription: Subscription | None = None
        self._outstanding = 0  # messages requested and not yet delivered or expired

    async def start(self) -> None:
        async def enqueue(message: Msg) -> None:
            self._arrived.append(message)
            self._arrival.set()

        self._subscription = await self._client.subscribe(self._inbox, cb=enqueue)
        await self._top_up()

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()

    async def _top_up(self) -> None:
        """Ask for more when fewer than half a batch is still on its way."""
        if self._outstanding > self._batch // 2:
            return
        wanted = self._batch - self._outstanding
        request = {
            "batch": wanted,
            "expires": self._expires_ns,
            "idle_heartbeat": int(self._heartbeat * 1e9),
        }
        await self._client.publish(self._subject, orjson.dumps(request), reply=self._inbox)
        self._outstanding += wanted

    async def next_batch(self) -> list[Msg]:
        """The next events: waits for the first, then takes what else has already arrived."""
        messages: list[Msg] = []
        while not messages:
            if not self._arrived:
                self._arrival.clear()
                try:
                    async with asyncio.timeout(self._heartbeat * 3):
                        await self._arrival.wait()
                except TimeoutError:
                    # Not even a heartbeat: our requests are gone (server restart); ask again.
                    self._outstanding = 0
                    await self._top_up()
                    continue
            while self._arrived and len(messages) < self._batch:
                self._take(self._arrived.popleft(), messages)
            await self._top_up()
        return messages

    def waiting(self) -> list[Msg]:
        """Events delivered and not handed over yet: their ack wait is running already."""
        return [m for m in self._arrived if m.reply and STATUS_HEADER not in (m.headers or {})]

    def _take(self, message: Msg, into: list[Msg]) -> None:
        status = (message.headers or {}).get(STATUS_HEADER)
        if status is None and message.reply:
            self._outstanding = max(0, self._outstanding - 1)
            into.append(message)
            return
        if status == "100":  # idle heartbeat (or flow control): the request is alive
            return
        if status in ("404", "408"):  # no messages / request expired: what it still owed is off
            pending = (message.headers or {}).get(PENDING_HEADER)
            self._outstanding = max(0, self._outstanding - int(pending)) if pending else 0
            return
        if status == "409":
            description = (message.headers or {}).get("Description", "")
            if "Exceeded" in description:  # too many waiting requests: start over
                self._outstanding = 0
                return
            raise PullGone(f"pull refused: 409 {description}")
        self._outstanding = 0  # anything else: start over with a fresh request
