"""The process's one NATS connection, made in the background so that a service starts without it.

A service must keep serving while NATS is down (M3): `Bus.start()` returns at once, connects when
it can, and runs the `on_connect` callbacks (find its stream, bind consumers, watch the registry)
after the first connection and again after every reconnect, since a restarted server forgets
watchers and may have lost non-persistent state. Streams and buckets are the operator's
(`bazaar_platform.provisioning`): a service only looks them up (`open_stream`, `open_bucket`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from bazaar_chassis.errors import Unavailable
from bazaar_chassis.jobs import raise_if_cancelled, stop_task

OnConnect = Callable[["Bus"], Awaitable[None]]

_log = structlog.get_logger("bazaar.bus")

RETRY_SECONDS = 0.5


class StreamMissing(Exception):
    """A stream or bucket the operator should have provisioned is not there (yet)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} does not exist: the operator provisions it "
            "(`bazaar up` does, or `bazaar provision` in production)"
        )


async def open_stream(js: JetStreamContext, name: str) -> None:
    """Check that `name` was provisioned: what services and the gateway do instead of creating."""
    try:
        await js.stream_info(name)
    except NotFoundError:
        raise StreamMissing(f"stream {name}") from None


async def open_bucket(js: JetStreamContext, bucket: str) -> KeyValue:
    try:
        return await js.key_value(bucket)
    except (BucketNotFoundError, NotFoundError):
        raise StreamMissing(f"KV bucket {bucket}") from None


def inbox_prefix(user: str | None) -> str:
    """Where a user's replies arrive: its NATS permissions let it subscribe there and nowhere
    else, so no one reads the replies (pulled events, registry reads) meant for another."""
    return f"_INBOX.{user}" if user else "_INBOX"


class Bus:
    """Connection lifecycle and JetStream handles; everything else builds on `js`."""

    def __init__(
        self,
        *,
        url: str,
        name: str,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self._url = url
        self._name = name
        self._user = user
        self._password = password
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._on_connect: list[OnConnect] = []
        self._on_ready: list[Callable[[], None]] = []
        self._connected = asyncio.Event()
        self._steps_done = False
        self._task: asyncio.Task[None] | None = None
        self._callbacks_running: asyncio.Task[None] | None = None

    def on_connect(self, callback: OnConnect) -> None:
        """Run `callback` after every (re)connection; it must be idempotent."""
        self._on_connect.append(callback)

    def on_ready(self, listener: Callable[[], None]) -> None:
        """Call `listener` each time the bus becomes ready (after all on_connect steps)."""
        self._on_ready.append(listener)

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def ready(self) -> bool:
        """Connected, and every on_connect step (streams, consumers, watches) has finished."""
        return self.connected and self._steps_done

    @property
    def client(self) -> Client:
        if self._client is None or not self._client.is_connected:
            raise Unavailable("the event bus (NATS) is not reachable right now")
        return self._client

    @property
    def js(self) -> JetStreamContext:
        if self._js is None or not self.connected:
            raise Unavailable("the event bus (NATS) is not reachable right now")
        return self._js

    def write_now(self) -> None:
        """Write what the client has buffered to its socket at once, as its flusher task would on
        the loop's next pass. Under load one pass runs dozens of requests, and an event published
        in this one would wait for all of them (bench/notes/P3.md, twelfth pass). The bytes keep
        their order; the flusher then finds nothing to write. This reads nats-py's private
        buffer, which its lockfile pin keeps stable
        (`test_outbox_sends_without_waiting_for_acks.py`)."""
        client = self._client
        if client is None or not client.is_connected or client._transport is None:
            return
        if client._pending_data_size:
            client._transport.writelines(client._pending)
            client._pending = []
            client._pending_data_size = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_done(), name="bus-connect")

    async def wait_connected(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def _connect_until_done(self) -> None:
        while self._client is None:
            try:
                client = await nats.connect(
                    self._url,
                    name=self._name,
                    user=self._user,
                    password=self._password,
                    inbox_prefix=inbox_prefix(self._user),
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=RETRY_SECONDS,
                    connect_timeout=2,
                    ping_interval=5,
                    max_outstanding_pings=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
            except Exception as exc:  # the server is not there yet: keep serving, keep trying
                raise_if_cancelled()
                _log.debug("bus connect failed", error=str(exc))
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._client = client
            self._js = client.jetstream()
            _log.info("bus connected", url=self._url)
            await self._run_callbacks()

    async def _run_callbacks(self) -> None:
        self._connected.set()
        self._steps_done = False
        for callback in self._on_connect:
            while self.connected:
                try:
                    await callback(self)
                    break
                except Exception as exc:
                    raise_if_cancelled()
                    _log.warning("bus on_connect step failed, retrying", error=str(exc))
                    await asyncio.sleep(RETRY_SECONDS)
        self._steps_done = self.connected
        if self._steps_done:
            for listener in self._on_ready:
                listener()

    async def _on_error(self, exc: Exception) -> None:
        _log.debug("bus error", error=str(exc))

    async def _on_disconnected(self) -> None:
        self._connected.clear()
        self._steps_done = False
        _log.warning("bus disconnected")

    async def _on_reconnected(self) -> None:
        _log.info("bus reconnected")
        if self._callbacks_running is None or self._callbacks_running.done():
            self._callbacks_running = asyncio.create_task(self._run_callbacks())

    async def close(self) -> None:
        await stop_task(self._task)
        await stop_task(self._callbacks_running)
        if self._client is not None and not self._client.is_closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self._client.drain()
            with contextlib.suppress(Exception):
                await self._client.close()
