"""A request as forwarding reads it, whichever HTTP front parsed it.

Forwarding (forwarding.py, observability.py) needs seven facts of a request, not aiohttp's
request object: the gateway's lean front (front.py, ADR 10) builds them from its own parser
(`from_wire`), the aiohttp route from aiohttp's request (`incoming`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bazaar_gateway.observability import REQUEST_ID, request_id_of


@dataclass(frozen=True, slots=True)
class Incoming:
    """One request, as forwarding reads it."""

    method: str
    target: str  # as sent: the raw path and query
    url: URL  # the same, parsed (encoded): raw and decoded path, raw and parsed query
    headers: CIMultiDictProxy[str] | CIMultiDict[str]
    remote: str
    request_id: str
    read: Callable[[], Awaitable[bytes]]  # the body, received whole by then (front, slow_requests)

    @classmethod
    def from_wire(
        cls, method: str, target: str, headers: CIMultiDict[str], remote: str, body: bytes
    ) -> Incoming:
        """A request read off the wire whole, its id the client's (if it is a fit one)."""

        async def read() -> bytes:
            return body

        return cls(
            method=method,
            target=target,
            url=URL(target, encoded=True),
            headers=headers,
            remote=remote,
            request_id=request_id_of(headers.get("x-request-id")),
            read=read,
        )


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
