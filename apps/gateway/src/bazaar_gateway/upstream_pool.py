"""Keep-alive HTTP/1.1 connections to upstream instances, on asyncio protocols and httptools.

The gateway needs little of an HTTP client: one request at a time per connection, whole bodies
in memory, no cookies, redirects, decompression, proxies or TLS. aiohttp's client does all that
and builds a request, a response, timers and a payload stream per call: 200 to 290 µs of CPU
a hop, where a bare keep-alive exchange costs ~65 µs (bench/notes/P2b.md). This pool does only
the hop.

The rules it keeps:

- An answer ends by Content-Length, by chunked framing, or when the connection closes (then only
  if it had neither: a framed answer cut short is broken). 1xx interim answers are skipped; 204,
  304 and any answer to HEAD have no body whatever their headers say. httptools cannot be told
  that a request was HEAD, so a HEAD answer ends at its head and its connection is not reused.
- A connection goes back to the pool only after a complete answer that lets it stay open (not
  `Connection: close`, not HTTP/1.0 without keep-alive); a byte past the end of an answer drops
  it. A connection idle longer than `IDLE_SECONDS` is closed instead of reused: services run
  uvicorn, which closes idle connections after 5 s, and a request written just as the server
  closes is lost.
- Stale keep-alive: when a reused connection closes before any byte of the answer, the server
  most likely closed it idle as the request went out, but it may also have read the request and
  died. So the request is sent once more, on a fresh connection, only if its method is
  idempotent (RFC 9112 §9.3.1: GET, HEAD, OPTIONS, TRACE, PUT, DELETE); otherwise it fails like
  any broken exchange. A pooled connection already seen closed is never used.
- `ConnectFailed`: no connection within `CONNECT_SECONDS` (or refused): the request was not
  sent. `ExchangeFailed`: sent, and no complete answer before the deadline, or the connection
  broke, or the answer was malformed; the request may have been acted on.
- Deadlines are watched by one timer per pool, which runs every `timeout / 10` (at most
  `WATCH_SECONDS`) while an exchange is in flight: a timer armed and cancelled per exchange cost
  ~8k of a request's ~590k instructions. An exchange fails within a tick after its deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

import httptools
from multidict import CIMultiDict

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
_HOP_BY_HOP_BYTES = frozenset(name.encode() for name in HOP_BY_HOP)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
WITHOUT_CONTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # no Content-Length: 0 for these
CONNECT_SECONDS = 1.0
IDLE_SECONDS = 4.0
WATCH_SECONDS = 0.25

Answer = tuple[int, CIMultiDict[str], bytes]  # status, end-to-end headers, body


class ConnectFailed(Exception):
    """No connection could be made; the request was not sent."""


class ExchangeFailed(Exception):
    """The request was sent and no complete answer came: timed out, broken or malformed."""


class _Stale(ExchangeFailed):
    """A reused connection closed before any byte of the answer."""


class _Connection(asyncio.Protocol):
    """One connection carrying one exchange at a time; httptools calls the `on_*` methods."""

    def __init__(self, url: str, on_closed: Callable[[_Connection], None]) -> None:
        self.url = url
        self._on_closed = on_closed
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.reused = False
        self.reusable = False  # set by a complete answer that lets the connection stay open
        self.idle_since = 0.0
        self._answer: asyncio.Future[Answer] | None = None
        self._head_only = False
        self._started = False  # a byte of the answer came
        self._interim = False
        self._has_head = False  # the final answer's head is complete
        self._framed = False
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []

    def send(self, request: bytes, *, head_only: bool) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self._answer = answer = asyncio.get_running_loop().create_future()
        self._head_only = head_only
        self._started = self._interim = self._has_head = self.reusable = False
        self.transport.write(request)
        return answer

    def time_out(self) -> None:
        self._fail(ExchangeFailed("no complete answer in time"))

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    def _waiting(self) -> bool:
        return self._answer is not None and not self._answer.done()

    def _fail(self, error: ExchangeFailed) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def _complete(self, *, keep_alive: bool) -> None:
        if self._answer is None or self._answer.done():
            return
        self.reusable = keep_alive and not self._head_only
        body = b"".join(self._body)
        self._answer.set_result((self._status, CIMultiDict(self._headers), body))

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.open = True

    def data_received(self, data: bytes) -> None:
        if not self._waiting():
            self.close()  # bytes nobody asked for: this connection's framing is lost
            return
        self._started = True
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(ExchangeFailed(f"malformed answer: {exc!r}"))

    def eof_received(self) -> bool:
        self._ended()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended()
        self._on_closed(self)

    def _ended(self) -> None:
        self.open = self.reusable = False
        if not self._waiting():
            return
        if self._has_head and not self._framed:
            self._complete(keep_alive=False)
        elif not self._started and self.reused:
            self._fail(_Stale("the reused connection closed before any answer"))
        else:
            self._fail(ExchangeFailed("the connection closed mid-answer"))

    # httptools callbacks

    def on_message_begin(self) -> None:
        if not self._waiting():
            self.reusable = False  # a second answer to one request
        self._headers, self._body, self._framed = [], [], False

    def on_header(self, name: bytes, value: bytes) -> None:
        lower = name.lower()
        if lower in _HOP_BY_HOP_BYTES:
            if lower == b"content-length" or (
                lower == b"transfer-encoding" and value.lower().endswith(b"chunked")
            ):
                self._framed = True
            return
        self._headers.append(
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        )

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            self._interim = True
            return
        self._status, self._has_head = status, True
        if self._head_only:
            self._complete(keep_alive=False)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self._complete(keep_alive=self._parser.should_keep_alive())


def _request(method: str, path_qs: str, host: str, headers: CIMultiDict[str], body: bytes) -> bytes:
    """The request as written: the path as given, the headers as given plus Host and a length."""
    lines = [f"{method} {path_qs} HTTP/1.1"]
    if "Host" not in headers:
        lines.append(f"Host: {host}")
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if body or method not in WITHOUT_CONTENT:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines)
    breaks = len(lines) - 1
    if head.count("\n") != breaks or head.count("\r") != breaks:
        raise ValueError("a line break in the request line or a header would split the request")
    return (head + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


class ConnectionPool:
    """Idle keep-alive connections per upstream URL (`http://host:port`), newest reused first.

    How many connections one URL may have open is the caller's to bound (the gateway's in-flight
    slots): the pool opens one whenever none is idle."""

    def __init__(self, *, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._tick = min(timeout_seconds / 10, WATCH_SECONDS)
        self._deadlines: dict[_Connection, float] = {}  # exchanges in flight
        self._watch: asyncio.TimerHandle | None = None
        self._idle: dict[str, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._endpoints: dict[str, tuple[str, int, str]] = {}

    async def request(
        self, url: str, *, method: str, path_qs: str, headers: CIMultiDict[str], body: bytes
    ) -> Answer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        endpoint = self._endpoints.get(url) or self._endpoint(url)
        request = _request(method, path_qs, endpoint[2], headers, body)
        connection = self._reusable(url, loop.time()) or await self._connect(url, deadline)
        try:
            return await self._exchange(connection, request, method, deadline)
        except _Stale:
            if method not in IDEMPOTENT:
                raise
        fresh = await self._connect(url, deadline)
        return await self._exchange(fresh, request, method, deadline)

    def idle(self, url: str) -> int:
        """How many connections to `url` wait for their next request."""
        return len(self._idle.get(url, ()))

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()

    def _endpoint(self, url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"an upstream is http://host:port, not {url!r}")
        endpoint = self._endpoints[url] = (parts.hostname, parts.port, parts.netloc)
        return endpoint

    def _reusable(self, url: str, now: float) -> _Connection | None:
        idle = self._idle.get(url)
        while idle:
            connection = idle.pop()
            if connection.open and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self, url: str, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        host, port, _ = self._endpoints[url]
        try:
            async with asyncio.timeout_at(min(deadline, loop.time() + CONNECT_SECONDS)):
                _, connection = await loop.create_connection(
                    lambda: _Connection(url, self._forget), host, port
                )
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"{host}:{port}: {exc!r}") from exc
        if not connection.open:  # closed by the server before a byte was written
            raise ConnectFailed(f"{host}:{port}: closed at once")
        self._open.add(connection)
        return connection

    async def _exchange(
        self, connection: _Connection, request: bytes, method: str, deadline: float
    ) -> Answer:
        answer = connection.send(request, head_only=method == "HEAD")
        self._deadlines[connection] = deadline
        if self._watch is None:
            self._watch = asyncio.get_running_loop().call_later(self._tick, self._time_out_late)
        try:
            return await answer
        finally:
            del self._deadlines[connection]
            if connection.reusable:
                connection.reused = True
                connection.idle_since = asyncio.get_running_loop().time()
                self._idle.setdefault(connection.url, []).append(connection)
            else:
                connection.close()

    def _time_out_late(self) -> None:
        """Fail the exchanges past their deadline; watch again while any is in flight."""
        self._watch = None
        now = asyncio.get_running_loop().time()
        for connection, deadline in list(self._deadlines.items()):
            if now >= deadline:
                connection.time_out()
        if self._deadlines:
            self._watch = asyncio.get_running_loop().call_later(self._tick, self._time_out_late)

    def _forget(self, connection: _Connection) -> None:
        self._open.discard(connection)
        idle = self._idle.get(connection.url)
        if idle and connection in idle:
            idle.remove(connection)
