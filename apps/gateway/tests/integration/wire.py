"""HTTP/1.1 on a raw socket, for tests that must control every byte a client sends."""

from __future__ import annotations

import asyncio

import httptools

Answer = tuple[int, dict[str, str], bytes]  # status, headers (lower-cased names), body


class _Reply:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body = b""
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True


async def read_answer(reader: asyncio.StreamReader, *, timeout: float = 10.0) -> Answer:
    """One whole answer (framed by Content-Length, chunks, or the connection's end)."""
    reply = _Reply()
    parser = httptools.HttpResponseParser(reply)
    async with asyncio.timeout(timeout):
        while not reply.complete:
            data = await reader.read(65_536)
            if not data:
                parser.feed_data(b"")  # the end of the connection ends an unframed answer
                break
            parser.feed_data(data)
    assert reply.complete, "the connection closed before the answer was complete"
    return parser.get_status_code(), reply.headers, reply.body


async def closed_by_server(reader: asyncio.StreamReader, *, timeout: float = 10.0) -> bool:
    """True once the server closes the connection (no more bytes), within `timeout`. A server
    that closes while the client is still sending resets the connection: that is closed too."""
    async with asyncio.timeout(timeout):
        try:
            return await reader.read(1) == b""
        except ConnectionResetError:
            return True
