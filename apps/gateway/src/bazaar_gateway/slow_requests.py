"""Requests that arrive too slowly get 408: one rule for both of the gateway's HTTP servers.

A client that trickles a request holds a connection, and its buffers, for as long as it
trickles. So what a request still has to send has a deadline (docs/security.md):

- its head, `head_seconds` (`BAZAAR_HEAD_SECONDS`, 10) from its first byte;
- its body, `head_seconds` after its head, plus a second for every `BODY_BYTES_PER_SECOND`
  it declares (Content-Length) or, chunked, has sent so far: a floor of 8 kbit/s, below any
  real network.

The lean front times the heads and bodies it reads (front.py). `bodies_in_time` times the
bodies aiohttp's server reads: those of the requests the front hands over, and all of them with
`BAZAAR_GATEWAY_FRONT=aiohttp`. aiohttp's server times no head, but closes a connection whose
next head is not whole within the keep-alive time. A request too slow is answered 408, logged,
counted and traced as a refusal of no service under its method, and its connection is closed.
A body over the limit that aiohttp reads is refused (413) the same way, before routing.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry.context import Context

from bazaar_gateway.observability import REFUSED_ROUTE, REQUEST_ID, Answer, recorded
from bazaar_gateway.problems import problem, problem_for
from bazaar_gateway.state import GATEWAY, Gateway

BODY_BYTES_PER_SECOND = 1024

_log = structlog.get_logger("bazaar.gateway")


def body_seconds(head_seconds: float, length: int) -> float:
    """The time a body of `length` bytes has, from the end of its head."""
    return head_seconds + length / BODY_BYTES_PER_SECOND


def refusal(
    gateway: Gateway,
    answer: web.Response,
    *,
    seconds: float,
    method: str,
    path: str | None,
    request_id: str,
) -> web.Response:
    """Count and trace `answer`, given after `seconds` to a request the gateway refused before
    routing it (a refusal of no service); returned with the request's id."""
    began = time.time_ns() - int(seconds * 1e9)
    span = gateway.spans.start(f"{method} {REFUSED_ROUTE}", Context(), start_time=began)
    recorded(
        gateway,
        span,
        Answer(),
        status=answer.status,
        seconds=seconds,
        method=method,
        path=path,
        request_id=request_id,
    )
    answer.headers["x-request-id"] = request_id
    return answer


def too_slow(
    gateway: Gateway,
    part: str,
    seconds: float,
    *,
    method: str,
    path: str | None,
    request_id: str,
    remote: str | None,
) -> web.Response:
    """Log, count and trace a request whose `part` (head or body) missed its `seconds`; the
    408 it gets (the caller closes the connection)."""
    _log.warning(f"request {part} too slow", remote=remote, seconds=round(seconds, 3))
    detail = f"the request's {part} did not arrive within {seconds:g} s"
    answer = problem(408, "Request timeout", detail, slug="request-timeout")
    return refusal(
        gateway, answer, seconds=seconds, method=method, path=path, request_id=request_id
    )


class _TooSlow(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@web.middleware
async def bodies_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read a body aiohttp has not received whole yet within its time, before the handler runs.

    The handler's own `read()`, `json()` or url-encoded `post()` then gets the body read here;
    a multipart form, which aiohttp reads as a stream, would find it already read (the
    gateway's own routes take none). The body is read before the request is admitted, as the
    lean front reads its requests whole; one over the body limit is refused here (413), as a
    refusal of no service."""
    if not request.body_exists or request.content.is_eof():
        return await handler(request)
    gateway = request.app[GATEWAY]
    facts = {"method": request.method, "path": request.path, "request_id": request[REQUEST_ID]}
    clock = asyncio.get_running_loop()
    started = clock.time()
    try:
        await _read_in_time(request, started, gateway.settings.head_seconds)
    except _TooSlow as slow:
        response = too_slow(gateway, "body", slow.seconds, remote=request.remote, **facts)
        response.force_close()  # says `Connection: close`
        await response.prepare(request)
        await response.write_eof()
        request.protocol.force_close()  # at once: aiohttp would read on for 10 s
        return response
    except web.HTTPException as exc:  # a body over the limit
        answer = problem_for(exc, path=request.path)
        return refusal(gateway, answer, seconds=clock.time() - started, **facts)
    except ConnectionError:  # nobody to answer, and not the gateway's error
        _log.info("client left mid-body", remote=request.remote, path=request.path)
        return problem(400, "Bad request", "the request's body was cut short", slug="cut-short")
    return await handler(request)


async def _read_in_time(request: web.Request, started: float, head_seconds: float) -> None:
    """Read the body into aiohttp's request, or raise `_TooSlow` once it is late (its time
    counted from `started`, the loop's time at the end of its head)."""
    loop = asyncio.get_running_loop()
    declared = request.content_length or 0
    reading = asyncio.ensure_future(request.read())
    try:
        while not reading.done():
            received = request.content.total_bytes  # what a chunked body has sent so far
            seconds = body_seconds(head_seconds, max(declared, received))
            if (left := started + seconds - loop.time()) <= 0:
                raise _TooSlow(seconds)
            await asyncio.wait({reading}, timeout=left)
    finally:
        reading.cancel()  # a no-op once read; otherwise nobody waits for the rest
    reading.result()  # a body over the limit raises here (413), as in a handler
