"""A request as forwarding reads it, whichever HTTP front parsed it.

Forwarding (forwarding.py, observability.py) needs seven facts of a request, not aiohttp's
request object: ADR 10 proposes a second front, which would build them from its own parser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bazaar_gateway.observability import REQUEST_ID


@dataclass(frozen=True, slots=True)
class Incoming:
    """One request, as forwarding reads it."""

    method: str
    target: str  # as sent: the raw path and query
    url: URL  # the same, parsed (encoded): raw and decoded path, raw and parsed query
    headers: CIMultiDictProxy[str] | CIMultiDict[str]
    remote: str
    request_id: str
    read: Callable[[], Awaitable[bytes]]  # the body; read only once the request is admitted


def incoming(request: web.Request) -> Incoming:
    """aiohttp's request, as forwarding reads it."""
    return Incoming(
        method=request.method,
        target=request.raw_path,
        url=request.rel_url,
        headers=request.headers,
        remote=request.remote or "",
        request_id=request[REQUEST_ID],
        read=request.read,
    )
