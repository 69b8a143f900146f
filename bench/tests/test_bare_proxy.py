"""The bare proxy passes a request's line and headers on and the upstream's reply back, over one
keep-alive connection each way, so P2b's floor measures a real exchange."""

import asyncio
import contextlib

import uvloop

from bazaar_platform.nats_server import free_port
from bench.bare_proxy import _serve

REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


def test_requests_go_through_one_upstream_connection_and_replies_come_back() -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # as the process runs
        runner.run(_exchanges())


async def _exchanges() -> None:
    heads: list[bytes] = []
    connections = 0

    async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while head := await reader.readuntil(b"\r\n\r\n"):
            heads.append(head)
            writer.write(REPLY)
            await writer.drain()

    server = await asyncio.start_server(upstream, "127.0.0.1", 0)
    upstream_port = server.sockets[0].getsockname()[1]
    port = free_port()
    proxy = asyncio.create_task(_serve(port, f"http://127.0.0.1:{upstream_port}"))
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            await asyncio.sleep(0.05)
        for path in (b"/hello/1/hello", b"/hello/1/hello?x=1"):
            writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: me\r\nX-Trace: t1\r\n\r\n")
            assert await reader.readexactly(len(REPLY)) == REPLY
        writer.close()
    finally:
        proxy.cancel()
        server.close()
    assert connections == 1
    assert [h.split(b"\r\n")[0] for h in heads] == [
        b"GET /hello/1/hello HTTP/1.1",
        b"GET /hello/1/hello?x=1 HTTP/1.1",
    ]
    assert all(b"X-Trace: t1" in h and b"Host: upstream" in h for h in heads)
