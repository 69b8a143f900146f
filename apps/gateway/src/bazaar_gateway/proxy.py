"""Forwarding to upstream instances over keep-alive connections (upstream_pool.py), with bulkheads.

Each upstream instance has an in-flight limit: a request that cannot get a slot within the queue
time gets 503 instead of piling up, so one slow service cannot starve the others. A request that
could not even connect is retried once on another instance (it was never sent, so that is safe
for any method); a timeout after sending is a 504 and is never retried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from bazaar_chassis.registry import Instance
from bazaar_gateway.upstream_pool import HOP_BY_HOP, ConnectFailed, ConnectionPool, ExchangeFailed


class UpstreamBusy(Exception):
    """No in-flight slot freed up in time."""


class UpstreamUnreachable(Exception):
    """The connection could not be made; the request was not sent."""


class UpstreamTimeout(Exception):
    """The request was sent but no complete answer came in time."""


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    status: int
    headers: CIMultiDict[str]
    body: bytes


def forwardable(
    headers: CIMultiDictProxy[str] | CIMultiDict[str], *, dropped: frozenset[str] = HOP_BY_HOP
) -> CIMultiDict[str]:
    """`headers` without the `dropped` ones (lower-case names): by default the hop-by-hop."""
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in dropped)


class Upstreams:
    def __init__(self, *, timeout_seconds: float, max_in_flight: int, queue_seconds: float) -> None:
        self._timeout_seconds = timeout_seconds
        self._max_in_flight = max_in_flight
        self._queue_seconds = queue_seconds
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._pool: ConnectionPool | None = None

    async def start(self) -> None:
        self._pool = ConnectionPool(timeout_seconds=self._timeout_seconds)

    async def _slot(self, slots: asyncio.Semaphore, key: str) -> None:
        """Take an in-flight slot, waiting at most the queue time; a free slot is taken at once,
        without arming a timer for a wait that cannot happen."""
        if not slots.locked():
            await slots.acquire()
            return
        try:
            async with asyncio.timeout(self._queue_seconds):
                await slots.acquire()
        except TimeoutError:
            raise UpstreamBusy(key) from None

    def idle_connections(self, instance: Instance) -> int:
        return self._pool.idle(instance.url) if self._pool is not None else 0

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def send(
        self,
        instance: Instance,
        *,
        method: str,
        path_qs: str,
        headers: CIMultiDict[str],
        body: bytes,
    ) -> UpstreamReply:
        assert self._pool is not None, "Upstreams.start() was not called"
        slots = self._slots.get(instance.key)
        if slots is None:
            slots = self._slots[instance.key] = asyncio.Semaphore(self._max_in_flight)
        await self._slot(slots, instance.key)
        try:
            status, reply_headers, payload = await self._pool.request(
                instance.url, method=method, path_qs=path_qs, headers=headers, body=body
            )
        except ConnectFailed as exc:
            raise UpstreamUnreachable(str(exc)) from exc
        except ExchangeFailed as exc:
            raise UpstreamTimeout(str(exc)) from exc
        finally:
            slots.release()
        return UpstreamReply(status, reply_headers, payload)


Answered = web.Response | UpstreamReply
"""An answer to a client: the gateway's own, or a service's reply as it came. The lean front
writes either (front.py); a `web.Response` built for each reply cost ~15k of a request's
~580k instructions (`python -m bench.instructions`)."""


def with_headers(reply: UpstreamReply, extra_headers: dict[str, str]) -> UpstreamReply:
    for name, value in extra_headers.items():
        reply.headers[name] = value
    return reply


def as_response(answer: Answered) -> web.Response:
    """The answer as aiohttp writes it."""
    if isinstance(answer, web.Response):
        return answer
    return web.Response(status=answer.status, body=answer.body, headers=answer.headers)
