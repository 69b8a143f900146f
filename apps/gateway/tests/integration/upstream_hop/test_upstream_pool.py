"""The gateway's upstream hop (`Upstreams` over `upstream_pool`) against a real loopback server
that answers each request with a scripted raw answer: framing, keep-alive reuse, the request as
written, the answer's headers, the bulkhead, and which failure is which (the retry rule in
forwarding depends on it)."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field

import pytest
from multidict import CIMultiDict

from bazaar_chassis.registry import Instance
from bazaar_chassis.testing import eventually
from bazaar_gateway import upstream_pool
from bazaar_gateway.proxy import (
    UpstreamBusy,
    UpstreamReply,
    Upstreams,
    UpstreamTimeout,
    UpstreamUnreachable,
)

HANG = b""  # an answer that never comes
DROP = b"drop"  # read the request, then close without a byte of answer


@dataclass
class Seen:
    connection: int
    head: bytes
    body: bytes


@dataclass
class Upstream:
    """Answers the n-th request with `answers[n]`; `close_after` names the answers after which
    it closes the connection."""

    answers: list[bytes]
    close_after: set[int] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)  # connections the client closed
    port: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = next(self._ids)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                self.ended.append(connection)
                break
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            self.seen.append(Seen(connection, head, await reader.readexactly(length)))
            number = len(self.seen) - 1
            answer = self.answers[number]
            if answer == HANG:
                await reader.read()  # until the client gives up and closes
                break
            if answer == DROP:
                break
            writer.write(answer)
            await writer.drain()
            if number in self.close_after:
                break
        writer.close()

    @property
    def instance(self) -> Instance:
        return Instance(
            service="echo",
            version="1.0.0",
            instance_id="a",
            url=f"http://127.0.0.1:{self.port}",
            majors=[1],
            default_major=1,
            openapi_url=f"http://127.0.0.1:{self.port}/openapi.json",
        )


Serve = Callable[..., Awaitable[Upstream]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def start(answers: list[bytes], close_after: Collection[int] = ()) -> Upstream:
        upstream = Upstream(answers, set(close_after))
        server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
        servers.append(server)
        upstream.port = server.sockets[0].getsockname()[1]
        return upstream

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    made = Upstreams(timeout_seconds=5.0, max_in_flight=4, queue_seconds=0.1)
    await made.start()
    yield made
    await made.close()


def ok(body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def get(upstreams: Upstreams, upstream: Upstream, method: str = "GET") -> UpstreamReply:
    return await upstreams.send(
        upstream.instance, method=method, path_qs="/echo/1/x", headers=CIMultiDict(), body=b""
    )


async def test_the_request_is_written_as_given_with_host_and_length_only(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve([ok(b"one"), ok(b"two")])
    headers = CIMultiDict([("X-Request-Id", "r1"), ("Accept", "a"), ("Accept", "b")])

    await upstreams.send(
        upstream.instance,
        method="GET",
        path_qs="/echo/1/a%2Fb/../c?q=%20x&q=y",
        headers=headers,
        body=b"",
    )
    await upstreams.send(
        upstream.instance, method="POST", path_qs="/echo/1/p", headers=headers, body=b"{}"
    )

    host = f"Host: 127.0.0.1:{upstream.port}".encode()
    assert [s.head for s in upstream.seen] == [
        b"GET /echo/1/a%2Fb/../c?q=%20x&q=y HTTP/1.1\r\n"
        + host
        + b"\r\nX-Request-Id: r1\r\nAccept: a\r\nAccept: b\r\n\r\n",
        b"POST /echo/1/p HTTP/1.1\r\n"
        + host
        + b"\r\nX-Request-Id: r1\r\nAccept: a\r\nAccept: b\r\nContent-Length: 2\r\n\r\n",
    ]
    assert upstream.seen[1].body == b"{}"


async def test_a_header_with_a_line_break_is_refused_before_sending(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve([])
    with pytest.raises(ValueError, match="line break"):
        await upstreams.send(
            upstream.instance,
            method="GET",
            path_qs="/x",
            headers=CIMultiDict({"X-A": "1\r\nX-Injected: 2"}),
            body=b"",
        )
    assert upstream.seen == []


async def test_keep_alive_answers_share_one_connection(serve: Serve, upstreams: Upstreams) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n2\r\n!!\r\n0\r\n\r\n"
    )
    no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
    not_modified = b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    answers = [ok(b"one"), chunked, no_content, not_modified, interim + ok(b"final")]
    upstream = await serve(answers)

    replies = [await get(upstreams, upstream) for _ in answers]

    assert [(r.status, r.body) for r in replies] == [
        (200, b"one"),
        (200, b"two!!"),
        (204, b""),
        (304, b""),
        (200, b"final"),
    ]
    assert "Link" not in replies[4].headers
    assert {s.connection for s in upstream.seen} == {0}


async def test_an_answer_without_length_ends_when_the_connection_closes(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve(
        [b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil the end", ok(b"next")], close_after={0}
    )

    first = await get(upstreams, upstream)
    second = await get(upstreams, upstream)

    assert (first.status, first.body, second.body) == (200, b"until the end", b"next")
    assert [s.connection for s in upstream.seen] == [0, 1]


@pytest.mark.parametrize(
    "answer",
    [
        ok(b"bye", b"Connection: close"),
        b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nbye",
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_a_connection_the_upstream_ends_is_not_reused(
    serve: Serve, upstreams: Upstreams, answer: bytes
) -> None:
    upstream = await serve([answer, ok(b"next")])

    assert (await get(upstreams, upstream)).body == b"bye"
    assert (await get(upstreams, upstream)).body == b"next"

    assert [s.connection for s in upstream.seen] == [0, 1]


async def test_an_http_1_0_keep_alive_answer_keeps_the_connection(
    serve: Serve, upstreams: Upstreams
) -> None:
    answer = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi"
    upstream = await serve([answer, answer])

    await get(upstreams, upstream)
    await get(upstreams, upstream)

    assert [s.connection for s in upstream.seen] == [0, 0]


async def test_a_head_answer_has_no_body_and_its_connection_is_not_reused(
    serve: Serve, upstreams: Upstreams
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n"
    upstream = await serve([head, ok(b"after")])

    reply = await get(upstreams, upstream, method="HEAD")
    after = await get(upstreams, upstream)

    assert (reply.status, reply.body, reply.headers["Content-Type"]) == (200, b"", "text/plain")
    assert after.body == b"after"
    assert [s.connection for s in upstream.seen] == [0, 1]


async def test_answer_headers_drop_hop_by_hop_and_keep_repeats(
    serve: Serve, upstreams: Upstreams
) -> None:
    answer = ok(
        b"{}",
        b"Set-Cookie: a=1",
        b"Set-Cookie: b=2",
        b"Connection: keep-alive",
        b"Keep-Alive: timeout=5",
        b"Content-Type: application/json",
    )
    upstream = await serve([answer])

    reply = await get(upstreams, upstream)

    assert list(reply.headers.items()) == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Type", "application/json"),
    ]


async def test_a_refused_connection_is_unreachable(upstreams: Upstreams) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    upstream = Upstream([], port=port)

    with pytest.raises(UpstreamUnreachable):
        await get(upstreams, upstream)


async def test_a_connection_not_made_in_time_is_unreachable(
    upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream_pool, "CONNECT_SECONDS", 0.1)
    with socket.socket() as listener:  # never accepts: once its queue holds one, Linux drops SYNs
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        _, queued = await asyncio.open_connection("127.0.0.1", port)
        try:
            with pytest.raises(UpstreamUnreachable):
                await get(upstreams, Upstream([], port=port))
        finally:
            queued.close()


async def test_no_answer_in_time_is_a_timeout(serve: Serve) -> None:
    upstream = await serve([HANG, ok(b"later")])
    upstreams = Upstreams(timeout_seconds=0.2, max_in_flight=4, queue_seconds=0.1)
    await upstreams.start()
    try:
        with pytest.raises(UpstreamTimeout):
            await get(upstreams, upstream)
        assert (await get(upstreams, upstream)).body == b"later"
        assert [s.connection for s in upstream.seen] == [0, 1]
    finally:
        await upstreams.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"not http at all\r\n\r\n",
    ],
    ids=["short-length", "unfinished-chunks", "cut-head", "malformed"],
)
async def test_a_broken_answer_is_a_timeout_never_unreachable(
    serve: Serve, upstreams: Upstreams, answer: bytes
) -> None:
    upstream = await serve([answer], close_after={0})

    with pytest.raises(UpstreamTimeout):
        await get(upstreams, upstream)


async def test_a_fresh_connection_closed_before_answering_is_a_timeout(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve([DROP])

    with pytest.raises(UpstreamTimeout):
        await get(upstreams, upstream)
    assert len(upstream.seen) == 1


@pytest.mark.parametrize(("method", "sent"), [("GET", 3), ("DELETE", 3), ("POST", 2)])
async def test_a_reused_connection_closed_before_answering_retries_idempotent_methods_once(
    serve: Serve, upstreams: Upstreams, method: str, sent: int
) -> None:
    upstream = await serve([ok(b"one"), DROP, ok(b"again")])
    await get(upstreams, upstream)

    if method == "POST":
        with pytest.raises(UpstreamTimeout):
            await get(upstreams, upstream, method=method)
    else:
        assert (await get(upstreams, upstream, method=method)).body == b"again"

    assert [s.connection for s in upstream.seen] == [0, 0, 1][:sent]


async def test_a_pooled_connection_the_upstream_closed_is_not_used(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve([ok(b"one"), ok(b"two")], close_after={0})
    await get(upstreams, upstream)  # the answer is keep-alive, then the server closes

    async def forgotten() -> bool:
        return upstreams.idle_connections(upstream.instance) == 0

    await eventually(forgotten, message="the pool did not notice the server's close")
    reply = await upstreams.send(
        upstream.instance, method="POST", path_qs="/p", headers=CIMultiDict(), body=b"x"
    )

    assert reply.body == b"two"
    assert [s.connection for s in upstream.seen] == [0, 1]


async def test_a_request_given_up_by_its_caller_leaves_its_connection_unused(
    serve: Serve, upstreams: Upstreams
) -> None:
    upstream = await serve([HANG, ok(b"next")])
    given_up = asyncio.create_task(get(upstreams, upstream))

    async def sent() -> bool:
        return len(upstream.seen) == 1

    await eventually(sent)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up

    assert (await get(upstreams, upstream)).body == b"next"
    assert [s.connection for s in upstream.seen] == [0, 1]


async def test_at_most_max_in_flight_connections_then_busy(serve: Serve) -> None:
    upstream = await serve([HANG, HANG])
    upstreams = Upstreams(timeout_seconds=30.0, max_in_flight=2, queue_seconds=0.05)
    await upstreams.start()
    hanging = [asyncio.create_task(get(upstreams, upstream)) for _ in range(2)]
    try:

        async def both_sent() -> bool:
            return len(upstream.seen) == 2

        await eventually(both_sent)
        with pytest.raises(UpstreamBusy):
            await get(upstreams, upstream)
        assert {s.connection for s in upstream.seen} == {0, 1}
    finally:
        for task in hanging:
            task.cancel()
        await asyncio.gather(*hanging, return_exceptions=True)
        await upstreams.close()


async def test_close_closes_every_pooled_connection(serve: Serve, upstreams: Upstreams) -> None:
    upstream = await serve([ok(b"one"), ok(b"two")])
    await asyncio.gather(get(upstreams, upstream), get(upstreams, upstream))
    assert upstreams.idle_connections(upstream.instance) == 2

    await upstreams.close()

    async def both_ended() -> bool:
        return sorted(upstream.ended) == [0, 1]

    await eventually(both_ended, message="the server did not see both connections close")
