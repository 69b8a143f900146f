"""The gateway's lean HTTP/1.1 front (ADR 10): plain requests for services skip aiohttp's server.

llhttp (through httptools) reads every connection. When a request is plain, the front forwards
it itself with `forward_incoming` and writes the answer. Otherwise the front hands the whole
connection to aiohttp at that request's first byte, and aiohttp keeps it. aiohttp then answers
as it always did, with its own limits and errors.

- **Plain** means: HTTP/1.1 and kept alive; GET, POST, PUT, PATCH or DELETE; no body, or one
  framed by Content-Length within the gateway's body limit; no `Expect`, no `Upgrade`; a head
  within `HEAD_BYTES` and aiohttp's own limits (so that aiohttp refuses what it always
  refused); a path of plain characters (no `%`, no `.` or empty segment) whose
  first segment is not one of the gateway's own routes (`OwnRoutes`, read from aiohttp's
  router). Anything llhttp refuses goes to aiohttp as well.
- **A hand-off gives aiohttp exactly the client's bytes.** It can only happen at a request's
  first byte, because the front answers each request before it reads the next. A client that
  sends more before its answer (pipelining) gets that answer with `Connection: close`, and
  the connection is closed. The unanswered requests are the client's to send again
  (RFC 9112 §9.3.2).
- A client that does not read its answers is not read either (the transport's write buffer
  pauses reading), and an idle connection is closed after `keepalive_seconds`, as aiohttp
  closes its own. A head or a body that misses its time (`slow_requests`) gets 408 and the
  connection is closed. The timer is armed only when a head or a body does not come whole in
  one read, so a request that does pays nothing for it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

import httptools
from aiohttp import web
from multidict import CIMultiDict

from bazaar_chassis.kept import KeptByText
from bazaar_gateway.forwarding import forward, forward_incoming
from bazaar_gateway.incoming import Incoming
from bazaar_gateway.observability import request_id_of
from bazaar_gateway.problems import problem_for
from bazaar_gateway.proxy import Answered
from bazaar_gateway.slow_requests import body_seconds, too_slow
from bazaar_gateway.state import GATEWAY, OTHER_METHOD, Gateway

HEAD_BYTES = 16_384
LINE_BYTES = 8_190  # aiohttp's limits on a request line and on one header, and its header count
MAX_HEADERS = 128
FORBIDDEN_IN_HEAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what aiohttp refuses to write
PLAIN_METHODS = frozenset({b"GET", b"POST", b"PUT", b"PATCH", b"DELETE"})
FRAMING_OF_AIOHTTP = frozenset({"expect", "transfer-encoding"})  # requests aiohttp reads
PLAIN_PATH = re.compile(r"(/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+/?")  # no '.' segment, no '%'
PATHS_KEPT = 4096


class OwnRoutes:
    """Tells the paths the gateway answers itself from the ones it forwards, by first segment.

    Read from aiohttp's router, so that no route is missed: a static first segment (`gateway`
    of `/gateway/1/policies`) takes every path under it; a route whose first segment is a
    variable (`/{service}/{major}/openapi.json`) is matched by its pattern. Coarser than the
    router on purpose: a path the front leaves to aiohttp is answered as it always was.
    """

    def __init__(self, router: web.UrlDispatcher) -> None:
        self.segments: set[str] = set()
        self.patterns: list[re.Pattern[str]] = []
        self.forwards = KeptByText(self._forwards, entries=PATHS_KEPT)
        for resource in router.resources():
            if any(route.handler is forward for route in resource):
                continue
            info = resource.get_info()
            shape = str(info.get("path") or info.get("formatter") or info.get("prefix") or "/")
            first = shape.split("/", 2)[1]
            if "{" not in first:
                self.segments.add(first)
            elif isinstance(pattern := info.get("pattern"), re.Pattern):
                self.patterns.append(pattern)
            else:  # a resource of a kind this reading does not know: nothing is plain
                self.patterns.append(re.compile(".*"))

    def __contains__(self, path: str) -> bool:
        if path.split("/", 2)[1] in self.segments:
            return True
        return any(pattern.fullmatch(path) for pattern in self.patterns)

    def _forwards(self, path: str) -> bool:
        """Whether the front forwards `path` itself: plain characters, and not one of these
        routes (kept per path: `forwards`)."""
        return PLAIN_PATH.fullmatch(path) is not None and path not in self


class _HandOff(Exception):
    """Raised from a parser callback: this request is aiohttp's."""


class Front(asyncio.Protocol):
    """One client connection, until it is handed to aiohttp."""

    def __init__(
        self,
        gateway: Gateway,
        connections: set[Front],
        aiohttp_protocol: Callable[[], asyncio.Protocol],
        own_routes: OwnRoutes,
        *,
        keepalive_seconds: float,
        head_seconds: float,
    ) -> None:
        self._gateway = gateway
        self._connections = connections
        self._aiohttp_protocol = aiohttp_protocol
        self._own_routes = own_routes
        self._keepalive_seconds = keepalive_seconds
        self._head_seconds = head_seconds
        self._parser = httptools.HttpRequestParser(self)
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._remote = ""
        self._received: list[bytes] = []  # every byte since the current request's first
        self._size = 0
        self._plain = False  # the current request's head was read and found plain
        self._answering: asyncio.Task[None] | None = None
        self._pipelined = False
        self._ended = False  # the client will send nothing more
        self._last_active = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # a request's first byte was read, its head is not complete
        self._read_timer: asyncio.TimerHandle | None = None  # for a head or a body in pieces
        self._target = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self._remote = peer[0] if isinstance(peer, tuple) else ""
        self._connections.add(self)
        self._idle_timer = self._loop.call_later(self._keepalive_seconds, self._close_if_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._let_go()

    def close_if_idle_now(self) -> asyncio.Task[None] | None:
        """At shutdown: close now, or after the answer in progress (returned)."""
        self._ended = True
        if self._answering is None and self._transport is not None:
            self._transport.close()
        return self._answering

    def pause_writing(self) -> None:
        """The client does not read its answers: read none of its requests until it does."""
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None:
            self._transport.resume_reading()

    def eof_received(self) -> bool:
        self._ended = True
        return self._answering is not None  # keep the transport to write the answer

    def _busy(self) -> bool:
        """A request was read and is being answered (parser callbacks set it mid-read)."""
        return self._answering is not None

    def data_received(self, data: bytes) -> None:
        if self._busy():  # sent before its answer: not read, see the docstring
            self._pipelined = True
            return
        self._last_active = time.monotonic()
        if not self._plain:  # kept for a hand-off, until the head is found plain
            self._received.append(data)
            self._size += len(data)
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserCallbackError, httptools.HttpParserError):
            if self._busy():  # bytes after the request being answered: see the docstring
                self._pipelined = True
            elif self._plain and self._transport is not None:  # mid-body: nothing to hand off
                self._transport.close()
            else:  # a request of its own, or bytes llhttp refuses
                self._hand_off()
            return
        if not self._plain and self._size > HEAD_BYTES:
            self._hand_off()  # a head this long is aiohttp's to refuse
        elif (
            self._read_timer is None and self._answering is None and (self._in_head or self._plain)
        ):
            self._arm_read_timer()  # a head or a body came in pieces

    def on_message_begin(self) -> None:
        if self._busy():  # a second request in the bytes of the first
            self._pipelined = True
            raise _HandOff  # stops the parser; nothing of it is read
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        self._target += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_read_timer()
        if not self._is_plain():
            raise _HandOff
        self._plain = True
        self._received, self._size = [], 0

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._stop_read_timer()
        request = Incoming.from_wire(
            self._parser.get_method().decode(),
            self._target.decode("latin-1"),
            CIMultiDict(self._headers),
            self._remote,
            b"".join(self._body),
        )
        self._answering = self._loop.create_task(self._answer(request))

    def _is_plain(self) -> bool:
        parser = self._parser
        if len(self._target) > LINE_BYTES or len(self._headers) > MAX_HEADERS:
            return False
        if parser.get_http_version() != "1.1" or not parser.should_keep_alive():
            return False
        if parser.should_upgrade() or parser.get_method() not in PLAIN_METHODS:
            return False
        lengths: list[str] = []
        for name, value in self._headers:
            if len(name) + len(value) + 2 > LINE_BYTES:
                return False
            lowered = name.lower()
            if lowered == "content-length":
                lengths.append(value)
            elif lowered in FRAMING_OF_AIOHTTP:
                return False
        if lengths and (len(lengths) > 1 or not lengths[0].isdigit()):
            return False
        if lengths and int(lengths[0]) > self._gateway.settings.max_body_bytes:
            return False
        return self._own_routes.forwards(self._path())

    async def _answer(self, request: Incoming) -> None:
        try:
            response = await forward_incoming(self._gateway, request)
        except Exception as exc:  # as the aiohttp app's middleware answers it
            response = problem_for(exc, path=request.url.path)
        try:
            self._write(response, request.request_id)
        except Exception as exc:  # an answer that cannot be written safely is not half-written
            self._write(problem_for(exc, path=request.url.path), request.request_id)
        finally:
            self._next_request()

    def _write(self, response: Answered, request_id: str) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        status = response.status
        headers = response.headers
        headers["x-request-id"] = request_id
        body = response.body if isinstance(response.body, bytes) else b""
        if status < 200 or status in (204, 304):
            body = b""
        else:
            headers["Content-Length"] = str(len(body))
        if "date" not in headers:
            headers["Date"] = _date()
        if self._pipelined or self._ended:
            headers["Connection"] = "close"
        head = [f"HTTP/1.1 {status} {_PHRASES.get(status, 'Unknown')}"]
        head.extend(f"{name}: {value}" for name, value in headers.items())
        if FORBIDDEN_IN_HEAD.search("".join(head)):  # no header may split the answer
            raise ValueError("a control character in the answer's headers")
        transport.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body)

    def _next_request(self) -> None:
        self._answering = None
        self._plain = False
        self._target, self._headers, self._body = b"", [], []
        self._received, self._size = [], 0
        self._last_active = time.monotonic()
        if self._transport is not None and (self._pipelined or self._ended):
            self._transport.close()

    def _hand_off(self) -> None:
        """aiohttp takes the connection, reading it from the current request's first byte."""
        assert self._transport is not None
        self._let_go()
        protocol = self._aiohttp_protocol()
        self._transport.set_protocol(protocol)
        protocol.connection_made(self._transport)
        protocol.data_received(b"".join(self._received))
        self._received = []

    def _let_go(self) -> None:
        """The connection is no longer this front's: closed, or handed to aiohttp."""
        self._connections.discard(self)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._stop_read_timer()

    def _arm_read_timer(self) -> None:
        seconds = self._head_seconds
        if not self._in_head:
            seconds = body_seconds(seconds, self._declared_length())
        self._read_timer = self._loop.call_later(seconds, self._too_slow, seconds)

    def _mid_body(self) -> bool:
        """The head was read and found plain; the body is not all in yet."""
        return self._plain and not self._busy()

    def _declared_length(self) -> int:
        """The body's Content-Length (`_is_plain` checked its digits)."""
        return int(self._header("content-length") or 0)

    def _header(self, lowered: str) -> str | None:
        """The first value of the header named `lowered` in the head read, if it has one."""
        values = (value for name, value in self._headers if name.lower() == lowered)
        return next(values, None)

    def _path(self) -> str:
        """The path of the request target read (without its query)."""
        return self._target.split(b"?", 1)[0].decode("latin-1")

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _too_slow(self, seconds: float) -> None:
        self._read_timer = None
        if self._transport is None or self._transport.is_closing():
            return
        if self._in_head:  # no method or path read yet
            part, method, path = "head", OTHER_METHOD, None
        elif self._mid_body():
            part, method, path = "body", self._parser.get_method().decode(), self._path()
        else:  # the body came whole: its deadline ended with it
            return
        self._ended = True  # the answer says `Connection: close`
        request_id = request_id_of(self._header("x-request-id"))
        refusal = too_slow(
            self._gateway,
            part,
            seconds,
            method=method,
            path=path,
            request_id=request_id,
            remote=self._remote,
        )
        self._write(refusal, request_id)
        self._transport.close()

    def _close_if_idle(self) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        idle = time.monotonic() - self._last_active
        if self._answering is None and idle >= self._keepalive_seconds:
            self._transport.close()
            return
        self._idle_timer = self._loop.call_later(
            max(self._keepalive_seconds - idle, 1.0), self._close_if_idle
        )


async def serve_front(
    runner: web.AppRunner, *, host: str, port: int
) -> tuple[asyncio.Server, set[Front]]:
    """Listen on `host:port` with the front, for the gateway app `runner` has set up; the
    connections the front still holds are returned for shutdown (`stop_front`)."""
    aiohttp_server = runner.server
    assert aiohttp_server is not None, "runner.setup() was not awaited"
    gateway = runner.app[GATEWAY]
    own_routes = OwnRoutes(runner.app.router)
    connections: set[Front] = set()
    keepalive, head = gateway.settings.keepalive_seconds, gateway.settings.head_seconds

    def connection() -> Front:
        return Front(
            gateway,
            connections,
            aiohttp_server,
            own_routes,
            keepalive_seconds=keepalive,
            head_seconds=head,
        )

    server = await asyncio.get_running_loop().create_server(connection, host, port, backlog=2048)
    return server, connections


async def stop_front(
    server: asyncio.Server, connections: set[Front], *, grace_seconds: float
) -> None:
    """Stop listening, close idle connections, give answers in progress `grace_seconds`."""
    server.close()
    answering = [task for front in list(connections) if (task := front.close_if_idle_now())]
    if answering:
        await asyncio.wait(answering, timeout=grace_seconds)


_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def _date() -> str:
    """The Date header's value, made once a second."""
    return _date_of(int(time.time()))


@functools.lru_cache(maxsize=1)
def _date_of(second: int) -> str:
    return formatdate(second, usegmt=True)
