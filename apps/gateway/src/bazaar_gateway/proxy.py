"""Forwarding to upstream instances over aiohttp keep-alive pools, with bulkheads.

Each upstream instance has an in-flight limit: a request that cannot get a slot within the queue
time gets 503 instead of piling up, so one slow service cannot starve the others. A request that
could not even connect is retried once on another instance (it was never sent, so that is safe
for any method); a timeout after sending is a 504 and is never retried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bazaar_chassis.registry import Instance

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


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


def forwardable(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP)


class Upstreams:
    def __init__(self, *, timeout_seconds: float, max_in_flight: int, queue_seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=1.0)
        self._max_in_flight = max_in_flight
        self._queue_seconds = queue_seconds
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self._max_in_flight,
                keepalive_timeout=60,
                ttl_dns_cache=None,
            ),
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),  # a proxy keeps no cookies between callers
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )

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

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        instance: Instance,
        *,
        method: str,
        path_qs: str,
        headers: CIMultiDict[str],
        body: bytes,
    ) -> UpstreamReply:
        assert self._session is not None, "Upstreams.start() was not called"
        slots = self._slots.get(instance.key)
        if slots is None:
            slots = self._slots[instance.key] = asyncio.Semaphore(self._max_in_flight)
        await self._slot(slots, instance.key)
        try:
            async with self._session.request(
                method,
                URL(instance.url + path_qs, encoded=True),  # as given: no re-quoting, no dots
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
                return UpstreamReply(response.status, forwardable(response.headers), payload)
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamUnreachable(str(exc)) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from exc
        except aiohttp.ClientError as exc:  # the connection broke mid-request
            raise UpstreamTimeout(f"{exc.__class__.__name__}: {exc}") from exc
        finally:
            slots.release()


def to_response(reply: UpstreamReply, extra_headers: dict[str, str]) -> web.Response:
    headers = reply.headers
    for name, value in extra_headers.items():
        headers[name] = value
    return web.Response(status=reply.status, body=reply.body, headers=headers)
