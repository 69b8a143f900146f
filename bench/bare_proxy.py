"""The floor of any reverse proxy in Python here: uvloop and httptools, nothing else (P2b).

`python -m bench.bare_proxy --port N --upstream http://127.0.0.1:M`: each client connection gets
its own keep-alive connection to the upstream; a request's line and headers are passed on, and
the upstream's reply bytes are written back as they came. No checks, no copies, no spans: what
a Python gateway pays to receive, forward and answer before it does any work of its own, so
P2b can say how much of the gateway's cost is its own. GET only, no bodies, no pipelining.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import cast
from urllib.parse import urlsplit

import httptools
import uvloop


class _Upstream(asyncio.Protocol):
    """One keep-alive connection to the upstream: one exchange at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._received: list[bytes] = []
        self._reply: asyncio.Future[bytes] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._received.append(data)
        self._parser.feed_data(data)

    def on_message_complete(self) -> None:
        reply, self._received = b"".join(self._received), []
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(ConnectionError("the upstream closed the connection"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    async def exchange(self, request: bytes) -> bytes:
        assert self._transport is not None
        self._reply = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._reply


class _Client(asyncio.Protocol):
    """One client connection: parse a request, pass it on, write the reply back."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream_address = upstream
        self._upstream: _Upstream | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._in_flight: asyncio.Future[None] | None = None  # one at a time: no pipelining

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_url(self, url: bytes) -> None:
        self._url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() != b"host":
            self._headers.append(name + b": " + value + b"\r\n")

    def on_message_complete(self) -> None:
        head = b"GET " + self._url + b" HTTP/1.1\r\nHost: upstream\r\n" + b"".join(self._headers)
        self._headers = []
        self._in_flight = asyncio.ensure_future(self._forward(head + b"\r\n"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._upstream is not None:
            self._upstream.close()

    async def _forward(self, request: bytes) -> None:
        if self._upstream is None:
            host, port = self._upstream_address
            _, self._upstream = await asyncio.get_running_loop().create_connection(
                _Upstream, host, port
            )
        reply = await self._upstream.exchange(request)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(reply)


async def _serve(port: int, upstream: str) -> None:
    parts = urlsplit(upstream)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    server = await asyncio.get_running_loop().create_server(
        lambda: _Client(address), "127.0.0.1", port
    )
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    uvloop.install()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.upstream))


if __name__ == "__main__":
    main()
