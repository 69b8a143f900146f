"""What a client sees of the gateway's HTTP handling, whichever front reads its connection.

Every test runs against both fronts (the `start_gateway` fixture, ADR 10): the lean front
answers plain requests for services itself and hands everything else to aiohttp, so each
behaviour here must be the same through either, on connections kept alive as clients keep
them. Requests are written byte for byte on a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Mapping, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import orjson
import pytest
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from structlog.testing import capture_logs

from bazaar_chassis.testing import eventually

from .conftest import OPERATIONS_TOKEN, GatewayFactory, Platform
from .wire import closed_by_server, read_answer

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def connection(platform: Platform) -> AsyncIterator[Connection]:
    url = urlsplit(platform.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    yield reader, writer
    writer.close()


def head(method: str, target: str, *extra: str) -> bytes:
    """A request's head, its body (if any) sent apart."""
    lines = [f"{method} {target} HTTP/1.1", "Host: gateway", *extra, "", ""]
    return "\r\n".join(lines).encode()


def get(target: str, *extra: str) -> bytes:
    return head("GET", target, *extra)


def post(target: str, length: int) -> bytes:
    """A POST's head, declaring a body of `length` bytes."""
    return head("POST", target, f"Content-Length: {length}")


def chunked(target: str) -> bytes:
    """A chunked POST's head: a request aiohttp reads, either front."""
    return head("POST", target, "Transfer-Encoding: chunked")


async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send `data` a byte every 0.1 s: busy, never idle (until the server closes)."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)


def service_path(body: bytes) -> str:
    return str(orjson.loads(body)["path"])


@pytest.mark.stand_ins("catalog")
async def test_requests_on_one_connection_are_answered_in_order_through_either_front(
    connection: Connection,
) -> None:
    reader, writer = connection
    ids = set()
    for target in ["/catalog/1/a", "/catalog/1/b", "/healthz", "/catalog/1/c"]:
        writer.write(get(target))
        status, headers, body = await read_answer(reader)
        assert status == 200, body
        if target.startswith("/catalog"):
            assert service_path(body) == target.rsplit("/", 1)[1]
        ids.add(headers["x-request-id"])
    assert len(ids) == 4


@pytest.mark.stand_ins("catalog")
@pytest.mark.parametrize(
    "after", [get("/catalog/1/b"), b"\x01\x02 not a request\r\n\r\n"], ids=["request", "noise"]
)
async def test_bytes_sent_before_the_previous_answer_are_answered_or_left_unread(
    connection: Connection, request: pytest.FixtureRequest, after: bytes
) -> None:
    reader, writer = connection
    writer.write(get("/catalog/1/a") + after)
    status, headers, body = await read_answer(reader)
    if request.node.callspec.params["start_gateway"] == "lean":  # it answers the first itself
        assert (status, service_path(body)) == (200, "a")
        assert headers.get("connection") == "close"  # and reads one request at a time
        assert await closed_by_server(reader)
    elif after.startswith(b"GET"):  # aiohttp answers both in turn
        assert (status, service_path(body)) == (200, "a")
        status, _, body = await read_answer(reader)
        assert (status, service_path(body)) == (200, "b")
    else:  # aiohttp refuses the noise, and may do so before it answers the request
        assert status in (200, 400)


@pytest.mark.stand_ins("cart")
async def test_a_chunked_body_and_an_expected_continue_are_read(connection: Connection) -> None:
    reader, writer = connection
    chunked = (
        "POST /cart/1/carts HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    writer.write(chunked.encode())
    status, _, body = await read_answer(reader)
    assert status == 200, body
    writer.write(
        b"POST /cart/1/carts HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
    )
    status, _, body = await read_answer(reader)
    if status == 100:
        status, _, body = await read_answer(reader)
    assert status == 200, body


@pytest.mark.stand_ins("catalog")
async def test_http_1_0_is_answered_and_the_connection_closed(connection: Connection) -> None:
    reader, writer = connection
    writer.write(b"GET /catalog/1/a HTTP/1.0\r\n\r\n")
    status, _, body = await read_answer(reader)
    assert (status, service_path(body)) == (200, "a")
    assert await closed_by_server(reader)


@pytest.mark.stand_ins("cart")
async def test_a_body_over_the_limit_is_refused_with_413_counted_and_traced(
    gateway_spans: InMemorySpanExporter,
    platform: Platform,
    connection: Connection,
    http: aiohttp.ClientSession,
) -> None:
    reader, writer = connection
    too_long = 1_048_577  # the gateway's default limit plus one
    writer.write(
        b"POST /cart/1/carts HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {too_long}\r\n\r\n".encode()
        + b" " * too_long
    )
    status, headers, body = await read_answer(reader)
    assert status == 413, body
    assert headers["content-type"].startswith("application/problem+json")
    # refused before routing: a refusal of no service, as a slow body is
    assert await refusals_counted(http, platform.url, 'method="POST"', status=413) == ["1.0"]
    span = refused_span(gateway_spans, "POST (refused)", status=413, waited=0)
    assert (span["http.target"], span["bazaar.request_id"]) == (
        "/cart/1/carts",
        headers["x-request-id"],
    )


@pytest.mark.stand_ins("catalog")
async def test_a_request_framed_two_ways_is_refused_with_400(connection: Connection) -> None:
    reader, writer = connection
    writer.write(
        b"POST /catalog/1/a HTTP/1.1\r\nHost: gateway\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    status, _, _ = await read_answer(reader)
    assert status == 400


@pytest.mark.stand_ins("catalog")
async def test_a_request_sent_a_few_bytes_at_a_time_is_answered(connection: Connection) -> None:
    reader, writer = connection
    request = get("/catalog/1/slow", "Accept: application/json")
    for start in range(0, len(request), 7):
        writer.write(request[start : start + 7])
        await writer.drain()
        await asyncio.sleep(0.01)  # pacing, not waiting: each piece reaches the gateway alone
    status, _, body = await read_answer(reader)
    assert (status, service_path(body)) == (200, "slow")


async def test_an_idle_connection_is_closed_after_the_keepalive_time(
    start_gateway: GatewayFactory,
) -> None:
    url = urlsplit(await start_gateway(keepalive_seconds=1.0))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(get("/nothing/1/here"))  # a service path: the gateway answers it itself
        status, _, _ = await read_answer(reader)
        assert status >= 400  # no identity, no policy here: refused, whichever way
        assert await closed_by_server(reader, timeout=5.0)
    finally:
        writer.close()


async def test_a_trickled_head_holds_its_connection_no_longer_than_its_time_on_either_front(
    start_gateway: GatewayFactory,
) -> None:
    """The lean front answers 408 at the head's time; aiohttp's server, which times no head,
    closes the connection at the keep-alive time, however slowly the bytes keep coming."""
    url = urlsplit(await start_gateway(keepalive_seconds=1.0, head_seconds=1.0))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    trickling = asyncio.create_task(trickle(writer, get("/catalog/1/a", "X-Slow: " + "x" * 200)))
    try:
        async with asyncio.timeout(5.0):  # the head would take 22 s
            with contextlib.suppress(ConnectionResetError):  # closed while the client sends
                while await reader.read(65_536):
                    pass  # a 408 from the lean front; nothing from aiohttp
    finally:
        trickling.cancel()
        writer.close()


@pytest.fixture
def heads_timed(request: pytest.FixtureRequest) -> None:
    """Skips behind aiohttp alone: its server times no head (slow_requests.py)."""
    if request.node.callspec.params["start_gateway"] == "aiohttp":
        pytest.skip("aiohttp's server times no head; the lean front does (ADR 10)")


@pytest.fixture
async def timed_gateway(start_gateway: GatewayFactory) -> str:
    """A gateway that gives a request's head half a second, and its body that and a second per
    1,024 bytes (declared, or sent if chunked)."""
    return await start_gateway(head_seconds=0.5)


@pytest.fixture
async def timed_connection(timed_gateway: str) -> AsyncIterator[Connection]:
    url = urlsplit(timed_gateway)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    yield reader, writer
    writer.close()


async def trickled_until_refused(connection: Connection, data: bytes) -> str:
    """`trickle` `data` until the answer: a 408 that closes the connection. Its detail is
    returned."""
    reader, writer = connection
    trickling = asyncio.create_task(trickle(writer, data))
    try:
        status, headers, body = await read_answer(reader, timeout=5.0)
        assert status == 408, body
        assert orjson.loads(body)["type"].endswith("/request-timeout")
        assert headers.get("connection") == "close"
        assert await closed_by_server(reader, timeout=5.0)
        return str(orjson.loads(body)["detail"])
    finally:
        trickling.cancel()


async def refusals_counted(
    http: aiohttp.ClientSession, gateway: str, label: str, *, status: int = 408
) -> list[str]:
    """The counts of `status` answers in the gateway's metrics, in series that carry `label`."""
    operator = {"Authorization": f"Bearer {OPERATIONS_TOKEN}"}
    async with http.get(gateway + "/metrics", headers=operator) as reply:
        metrics = await reply.text()
    return [
        line.rsplit(" ", 1)[1]
        for line in metrics.splitlines()
        if line.startswith("bazaar_gateway_request_duration_seconds_count{")
        and f'status="{status}"' in line
        and label in line
    ]


def refused_span(
    spans: InMemorySpanExporter, name: str, *, status: int = 408, waited: float = 0.5
) -> Mapping[str, object]:
    """The attributes of the one `status` span named `name`; it begins where the wait began,
    `waited` seconds (the head's time, for a 408) or more before its end."""
    [span] = [s for s in spans.get_finished_spans() if s.name == name]
    assert span.end_time is not None
    assert span.start_time is not None
    assert span.end_time - span.start_time >= waited * 1e9
    attributes = dict(span.attributes or {})
    assert attributes["http.response.status_code"] == status
    return attributes


@pytest.mark.usefixtures("heads_timed")
async def test_a_head_trickled_in_past_the_head_time_gets_408_and_the_connection_ends(
    gateway_spans: InMemorySpanExporter,
    timed_gateway: str,
    timed_connection: Connection,
    http: aiohttp.ClientSession,
) -> None:
    unfinished = get("/catalog/1/a")[:-2] + b"X-Slow: " + b"x" * 200
    detail = await trickled_until_refused(timed_connection, unfinished)
    assert "head did not arrive" in detail
    # counted and traced as a refusal, of no service
    assert await refusals_counted(http, timed_gateway, 'route="(refused)"') == ["1.0"]
    assert refused_span(gateway_spans, "_OTHER (refused)")["bazaar.target.service"] == "none"


@pytest.mark.usefixtures("heads_timed")
async def test_each_head_has_its_own_deadline_which_ends_with_it(
    timed_connection: Connection,
) -> None:
    reader, writer = timed_connection
    first = get("/nothing/1/here")
    writer.write(first[:10])  # a head in two pieces: a deadline is set
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.write(first[10:])  # and met
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)  # refused (no identity, no policy here), in time
    await asyncio.sleep(1.0)  # past the first head's deadline: nothing may fire for it
    writer.write(get("/nothing/1/there"))
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)
    writer.write(get("/nothing/1/else")[:10])  # a third head, never finished
    status, headers, _ = await read_answer(reader)
    assert (status, headers.get("connection")) == (408, "close")


async def test_a_body_trickled_in_past_its_time_gets_408_and_the_connection_ends(
    gateway_spans: InMemorySpanExporter,
    timed_gateway: str,
    timed_connection: Connection,
    http: aiohttp.ClientSession,
) -> None:
    """200 bytes declared: the body has the head's half second and 200/1,024 s more."""
    _, writer = timed_connection
    writer.write(post("/catalog/1/a", 200))  # the head whole, at once
    detail = await trickled_until_refused(timed_connection, b"x" * 200)
    assert "body did not arrive" in detail
    # counted and traced as a refusal, of no service, under the method that was read
    assert await refusals_counted(http, timed_gateway, 'method="POST"') == ["1.0"]
    assert refused_span(gateway_spans, "POST (refused)")["http.target"] == "/catalog/1/a"


async def test_each_body_has_its_own_deadline_which_ends_with_it(
    timed_connection: Connection,
) -> None:
    """The first body's deadline (0.7 s) passes while a second body, with a later deadline
    (1.5 s after its head), is in pieces: the second is answered, not timed out."""
    reader, writer = timed_connection
    writer.write(post("/nothing/1/here", 200) + b"x" * 100)  # a body in two pieces
    await writer.drain()
    await asyncio.sleep(0.1)
    writer.write(b"x" * 100)  # met in time
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)  # refused (no identity, no policy here), in time
    writer.write(post("/nothing/1/there", 1024) + b"x" * 100)
    await writer.drain()
    await asyncio.sleep(0.8)  # past the first body's deadline
    writer.write(b"x" * 924)
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)


@pytest.mark.usefixtures("heads_timed")
async def test_a_body_deadline_ends_with_its_body(timed_connection: Connection) -> None:
    """A body in pieces sets a deadline (1.5 s: 1,024 bytes declared); the next head, begun
    just before it and in pieces too, has its own half second from its first byte."""
    reader, writer = timed_connection
    clock = asyncio.get_running_loop()
    began = clock.time()
    writer.write(post("/nothing/1/here", 1024) + b"x" * 512)
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(b"x" * 512)
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)
    await asyncio.sleep(began + 1.45 - clock.time())
    request = get("/nothing/1/there")
    writer.write(request[:10])  # the body's deadline passes while this head is in pieces
    await writer.drain()
    await asyncio.sleep(began + 1.7 - clock.time())
    writer.write(request[10:])
    status, _, _ = await read_answer(reader)
    assert status not in (200, 408)


@pytest.mark.parametrize(
    ("request_head", "body"),
    [
        (chunked("/nothing/1/here"), b"c8\r\n" + b"x" * 200),
        (post("/nothing/1/some%20where", 200), b"x" * 200),
    ],
    ids=["chunked", "handed-over"],
)
async def test_a_body_aiohttp_reads_trickled_in_past_its_time_gets_408_and_is_traced(
    gateway_spans: InMemorySpanExporter,
    timed_connection: Connection,
    request_head: bytes,
    body: bytes,
) -> None:
    """The bodies the lean front hands to aiohttp (chunked ones, those of paths it does not
    forward itself) are timed as its own are, and so are all bodies behind aiohttp alone; each
    408 has its span, named by the id the client gave its request."""
    _, writer = timed_connection
    writer.write(request_head.replace(b"\r\n\r\n", b"\r\nX-Request-Id: slow-1\r\n\r\n"))
    detail = await trickled_until_refused(timed_connection, body)
    assert "body did not arrive" in detail
    attributes = refused_span(gateway_spans, "POST (refused)")
    target = unquote(request_head.split(b" ")[1].decode())  # as a forwarded request's: decoded
    assert (attributes["http.target"], attributes["bazaar.request_id"]) == (target, "slow-1")


async def test_a_chunked_body_that_keeps_its_pace_is_read_past_the_head_time(
    timed_connection: Connection,
) -> None:
    """512 bytes every 0.2 s (2,560 bytes a second) for a second, twice the head's time: each
    chunk moves the body's deadline on by half a second, more than the pause before the next."""
    reader, writer = timed_connection
    clock = asyncio.get_running_loop()
    began = clock.time()
    writer.write(chunked("/nothing/1/here"))
    for _ in range(5):
        writer.write(b"200\r\n" + b"x" * 512 + b"\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)  # pacing: the client's rate is what is tested
    writer.write(b"0\r\n\r\n")
    status, _, _ = await read_answer(reader)
    assert clock.time() - began > 0.5  # past the head's own time
    assert status not in (200, 408)  # read whole, then refused (no identity, no policy here)


@pytest.fixture
def info_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """The log entries of the test, info and up (whatever level an earlier test configured)."""
    configured = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**configured)


async def test_a_client_that_leaves_mid_body_is_no_error_of_the_gateway(
    start_gateway: GatewayFactory, info_logs: list[MutableMapping[str, Any]]
) -> None:
    """A body aiohttp reads (chunked, through either front), cut short by the client."""
    url = urlsplit(await start_gateway())
    _, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(chunked("/nothing/1/here") + b"c8\r\n" + b"x" * 100)
    await writer.drain()
    writer.close()

    async def told() -> bool:  # the gateway has said what it made of it, either way
        return any(
            entry["event"] in ("client left mid-body", "gateway error") for entry in info_logs
        )

    await eventually(told, timeout=5.0)
    assert not [entry for entry in info_logs if entry["log_level"] == "error"]
    assert [entry["path"] for entry in info_logs if entry["event"] == "client left mid-body"] == [
        "/nothing/1/here"
    ]
