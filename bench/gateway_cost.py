"""CPU per request of the gateway in one process, in front of the hello-world: before/after
figures that hold up on a busy machine. `python -m bench.gateway_cost [--rounds 30]`.

The real gateway app (`bazaar_gateway.app.build_app`) serves a loopback port in this process,
with what the platform would have given it put in place directly: the hello service's registry
entry (bench/hello_service.py, in its own process), the default policy plus P2b's customer rule,
identity's public key for a signed-in customer's JWT, an empty revocation list, a rate limit too
high to refuse anything (so the limiter runs), and span export to the hello process (which
accepts and drops them). A minimal HTTP/1.1 client in this process sends the customer's
requests over keep-alive connections, a few at a time; the same client against the hello-world
directly measures the client's own share, which is subtracted. Each figure is the minimum over
interleaved batches of process CPU time per request (see bench/app_cost.py for why the minimum).
Then the parts of one request, each called alone the same way, and what the gateway used to do
per request next to what it does now ("was:" / "now:"), measured in the same run: among them
the upstream hop through aiohttp's client, as the gateway made it before its own pool.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import orjson
import uvloop
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from multidict import CIMultiDict
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from yarl import URL

from bazaar_chassis import otlp_json
from bazaar_chassis.caller import Caller
from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import freeze_startup_heap
from bazaar_chassis.tracing import extract_context
from bazaar_gateway import canary
from bazaar_gateway.app import build_app
from bazaar_gateway.authentication import Authenticator
from bazaar_gateway.policy import Rule
from bazaar_gateway.policy_store import default_rules
from bazaar_gateway.proxy import UpstreamReply, forwardable
from bazaar_gateway.routing import parse
from bazaar_gateway.settings import GatewaySettings
from bazaar_gateway.state import GATEWAY, Gateway
from bazaar_platform.nats_server import free_port
from bench.hello_service import HELLO_RULE, PATH, instance_at
from bench.processes import helper_process

CUSTOMER = "shopper@bazaar.test"
KID = "bench"
CONNECTIONS = 8


def _customer_token(key: Ed25519PrivateKey, issuer: str) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "user-1",
        "org": "public",
        "roles": ["customer"],
        "email": CUSTOMER,
        "jti": "bench-token",
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": KID})


def _jwks(key: Ed25519PrivateKey) -> dict[str, Any]:
    public = jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": KID, "alg": "EdDSA", "use": "sig"}]}


def _prime(gateway: Gateway, *, identity: Ed25519PrivateKey, upstream_port: int) -> None:
    """What NATS would have delivered: the policy, the hello entry; identity's key and list."""
    rules = [*default_rules(), Rule.model_validate(HELLO_RULE)]
    gateway.policies._apply(orjson.dumps({"rules": [r.model_dump() for r in rules]}), 1)
    keys = _jwks(identity)

    async def fetch_jwks() -> dict[str, Any]:
        return keys

    async def fetch_revocations() -> list[Any]:
        return []

    gateway.admission.authenticator = Authenticator(
        fetch_jwks=fetch_jwks,
        issuer=gateway.settings.identity_issuer,
        fetch_revocations=fetch_revocations,
    )
    _heartbeat(gateway, upstream_port)


def _heartbeat(gateway: Gateway, upstream_port: int) -> None:
    """Re-put the hello entry with a fresh heartbeat, as the registry watch would."""
    assert gateway.directory.put(instance_at(upstream_port))


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends a request and waits for its whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buffer = b""
        self._done: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        head, found, body = self._buffer.partition(b"\r\n\r\n")
        if not found:
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(body) >= length and self._done is not None and not self._done.done():
            self._buffer = body[length:]
            self._done.set_result(int(head[9:12]))

    async def get(self, request: bytes) -> int:
        assert self.transport is not None
        self._done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._done


async def _connections(port: int, count: int) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    made = []
    for _ in range(count):
        _, protocol = await loop.create_connection(_Connection, "127.0.0.1", port)
        made.append(protocol)
    return made


def _request(port: int, token: str | None) -> bytes:
    lines = [f"GET {PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: */*"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _load(
    connections: list[_Connection], request: bytes, count: int
) -> Callable[[], Awaitable[None]]:
    """`count` requests, spread over the connections, each connection one at a time."""

    async def one_connection(connection: _Connection, share: int) -> None:
        for _ in range(share):
            status = await connection.get(request)
            if status != 200:
                raise RuntimeError(f"status {status}")

    async def run() -> None:
        share = count // len(connections)
        await asyncio.gather(*(one_connection(c, share) for c in connections))

    return run


async def _best(
    cases: Mapping[str, tuple[Callable[[], Awaitable[None]], int]],
    *,
    rounds: int,
    before_each: Callable[[], None],
) -> dict[str, float]:
    best = dict.fromkeys(cases, float("inf"))
    for case, _ in cases.values():
        await case()  # warm: imports, caches, the first connection
    for _ in range(rounds):
        for name, (case, count) in cases.items():
            before_each()
            started = time.process_time()
            await case()
            best[name] = min(best[name], (time.process_time() - started) / count * 1e6)
    return best


def _parts(
    gateway: Gateway, token: str, count: int
) -> dict[str, tuple[Callable[[], Awaitable[None]], int]]:
    """Parts of the request path called alone (each `count` times per batch)."""
    authorization = f"Bearer {token}"
    caller = Caller(
        subject="user-1", kind="user", organization="public", roles=("customer",), email=CUSTOMER
    )
    upstream_path = PATH

    async def admission() -> None:
        for _ in range(count):
            await gateway.admission.admit(
                authorization=authorization, remote="127.0.0.1", method="GET", path=upstream_path
            )

    async def signing() -> None:
        for _ in range(count):
            gateway.signer.assertion(caller, audience="hello", method="GET", path=upstream_path)

    async def addressing() -> None:
        for _ in range(count):
            parse(PATH, CIMultiDict())

    async def span_and_metric() -> None:
        for _ in range(count):
            started = time.perf_counter()
            _one_span(gateway.spans.start("GET /hello", otel_context.Context()))
            gateway.metrics.observe(
                time.perf_counter() - started,
                service="hello",
                major="1",
                release="0.0.0-bench",
                method="GET",
                route="x",
                status=200,
            )

    return {
        "part: admission (rate limit, cached JWT, policy)": (admission, count),
        "part: assertion signing": (signing, count),
        "part: addressing (parse)": (addressing, count),
        "part: span and metric": (span_and_metric, count),
        **_once_per_request_or_per_change(gateway, count),
    }


def _former_upstream_client() -> aiohttp.ClientSession:
    """The gateway's upstream client before its own pool: aiohttp's, set up as it was."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=0, limit_per_host=256, keepalive_timeout=60, ttl_dns_cache=None
        ),
        timeout=aiohttp.ClientTimeout(total=10.0, sock_connect=1.0),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
    )


def _hops(
    gateway: Gateway, count: int, former: aiohttp.ClientSession
) -> dict[str, tuple[Callable[[], Awaitable[None]], int]]:
    """The upstream hop one request at a time (slot, request, whole answer, forwardable headers):
    through aiohttp's client as the gateway used to, and through `Upstreams` now."""
    instance = gateway.directory.pick("hello", 1, caller="user-1")
    assert instance is not None
    headers = CIMultiDict({"Accept": "*/*"})
    slots = asyncio.Semaphore(256)

    async def through_aiohttp() -> None:
        for _ in range(count):
            if not slots.locked():
                await slots.acquire()
            try:
                async with former.request(
                    "GET",
                    URL(instance.url + PATH, encoded=True),
                    headers=headers,
                    data=None,
                    allow_redirects=False,
                ) as response:
                    payload = await response.read()
                    UpstreamReply(response.status, forwardable(response.headers), payload)
            finally:
                slots.release()

    async def through_the_pool() -> None:
        for _ in range(count):
            await gateway.upstreams.send(
                instance, method="GET", path_qs=PATH, headers=headers, body=b""
            )

    return {
        "was: the upstream hop through aiohttp's client": (through_aiohttp, count),
        "now: the upstream hop through the keep-alive pool": (through_the_pool, count),
    }


def _once_per_request_or_per_change(
    gateway: Gateway, count: int
) -> dict[str, tuple[Callable[[], Awaitable[None]], int]]:
    """What the gateway did per request and now does once, measured both ways in one run:
    the former way is rebuilt here from the same parts (a tracer per request, the directory
    worked out afresh, a timer armed for a free slot, a lower-cased copy of the headers)."""
    headers = CIMultiDict(
        {"Host": "127.0.0.1", "Accept": "*/*", "Authorization": "Bearer x", "User-Agent": "wrk"}
    )
    provider = gateway.tracer_provider

    async def tracer_per_request() -> None:
        for _ in range(count):
            provider.get_tracer("bazaar-gateway", "1.0.0")

    async def tracer_once() -> None:
        for _ in range(count):
            gateway.spans  # noqa: B018 - the cached attribute is what a request reads

    sdk_tracer = provider.get_tracer("bazaar-gateway", "1.0.0")

    async def sdk_span() -> None:
        for _ in range(count):
            _one_span(sdk_tracer.start_span("GET /hello", kind=SpanKind.SERVER))

    async def request_span() -> None:
        for _ in range(count):
            _one_span(gateway.spans.start("GET /hello", otel_context.Context()))

    async def directory_afresh() -> None:
        for _ in range(count):
            gateway.directory._snapshots.clear()
            gateway.directory.view("hello")
            gateway.directory.pick("hello", 1, caller="user-1")

    async def directory_snapshot() -> None:
        for _ in range(count):
            gateway.directory.view("hello")
            gateway.directory.pick("hello", 1, caller="user-1")

    async def pick_worked_out() -> None:
        directory = gateway.directory
        for _ in range(count):
            directory.view("hello")
            canary.pick(directory.candidates("hello", 1), sticky_key="hello:user-1")

    async def slot_with_timer() -> None:
        slots = asyncio.Semaphore(256)
        for _ in range(count):
            async with asyncio.timeout(1.0):
                await slots.acquire()
            slots.release()

    async def slot_at_once() -> None:
        slots = asyncio.Semaphore(256)
        for _ in range(count):
            if not slots.locked():
                await slots.acquire()
            slots.release()

    async def context_from_a_copy() -> None:
        for _ in range(count):
            extract_context({k.lower(): v for k, v in headers.items()})

    async def context_from_the_headers() -> None:
        for _ in range(count):
            extract_context(headers)

    spans = _gateway_spans(gateway, count)

    async def export_as_protobuf() -> None:
        encode_spans(spans).SerializeToString()

    async def export_as_json() -> None:
        otlp_json.encode(spans)

    return {
        "was: span export encoded by the SDK (protobuf)": (export_as_protobuf, count),
        "now: span export encoded as OTLP/JSON": (export_as_json, count),
        "was: a tracer per request": (tracer_per_request, count),
        "now: the tracer made once": (tracer_once, count),
        "was: the SDK's span": (sdk_span, count),
        "now: the request span (RequestSpans)": (request_span, count),
        "was: the directory afresh (view + pick)": (directory_afresh, count),
        "was: the snapshot, the pick worked out per request": (pick_worked_out, count),
        "now: the directory's snapshot (view + pick)": (directory_snapshot, count),
        "was: a timer armed for a free slot": (slot_with_timer, count),
        "now: a free slot taken at once": (slot_at_once, count),
        "was: trace context from a lower-cased copy": (context_from_a_copy, count),
        "now: trace context from the headers": (context_from_the_headers, count),
    }


def _one_span(span: trace.Span) -> None:
    """What the gateway does with its span in one request (observability.py)."""
    current = otel_context.attach(trace.set_span_in_context(span))
    otel_context.detach(current)
    span.update_name("GET /hello/1/hello")
    span.set_attributes(
        {
            "http.request.method": "GET",
            "http.target": "/hello/1/hello",
            "http.route": "/hello/1/hello",
            "http.response.status_code": 200,
            "bazaar.target.service": "hello",
            "bazaar.target.release": "0.0.0-bench",
            "bazaar.request_id": "0" * 32,
        }
    )
    span.set_attribute("bazaar.major", 1)
    span.end()


def _gateway_spans(gateway: Gateway, count: int) -> list[ReadableSpan]:
    """`count` finished spans as the gateway makes them (its resource, its attributes)."""
    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=gateway.tracer_provider.resource)
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("bazaar-gateway", "1.0.0")
    for _ in range(count):
        with tracer.start_as_current_span("GET /hello/1/hello", kind=SpanKind.SERVER) as span:
            span.set_attributes(
                {
                    "http.request.method": "GET",
                    "http.target": PATH,
                    "http.route": "/hello/1/hello",
                    "http.response.status_code": 200,
                    "bazaar.target.service": "hello",
                    "bazaar.target.release": "0.0.0-bench",
                    "bazaar.request_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "bazaar.major": 1,
                }
            )
    return list(kept.get_finished_spans())


async def _collections(
    load: Callable[[], Awaitable[None]], count: int, *, before_each: Callable[[], None]
) -> dict[str, float]:
    """Time the garbage collector spent per request while the gateway served `load`, with the
    startup heap tracked (as before) and frozen (as the served gateway runs now), alternated.
    Totals over many batches, not minima: a full collection comes once in thousands of requests,
    so a minimum of batches would leave it out."""
    spent = 0.0
    started = 0.0

    def timed(phase: str, _info: dict[str, int]) -> None:
        nonlocal spent, started
        if phase == "start":
            started = time.perf_counter()
        else:
            spent += time.perf_counter() - started

    totals = {False: 0.0, True: 0.0}
    batches = 25
    gc.callbacks.append(timed)
    try:
        for frozen in (False, True, False, True):
            if frozen:
                freeze_startup_heap()
            else:
                gc.unfreeze()
            spent = 0.0
            for _ in range(batches):
                before_each()
                await load()
            totals[frozen] += spent / (2 * batches * count) * 1e6
    finally:
        gc.callbacks.remove(timed)
    return {
        "was: garbage collection, the startup heap tracked": totals[False],
        "now: garbage collection, the startup heap frozen": totals[True],
    }


def bench_settings(upstream: str) -> GatewaySettings:
    """A gateway with no bus, a rate limit that refuses nothing, spans sent to `upstream`."""
    return GatewaySettings(
        nats_url="nats://127.0.0.1:9",  # nothing listens: the bus keeps retrying, unused here
        assertion_secret=SecretStr(secrets.token_urlsafe(32)),
        rate_limit_per_second=1e9,
        rate_limit_burst=1_000_000_000,
        otlp_endpoint=upstream,
        log_level="warning",
    )


@asynccontextmanager
async def served_gateway(
    upstream: str, port: int
) -> AsyncIterator[tuple[Gateway, str, web.AppRunner]]:
    """The real gateway app on `port` in this process (aiohttp alone), primed to route to the
    hello-world at `upstream`; yields the gateway, a signed-in customer's token and the app's
    runner (for another front: bench/front_cost.py)."""
    identity = Ed25519PrivateKey.generate()
    settings = bench_settings(upstream)
    app = build_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
        gateway = app[GATEWAY]
        _prime(gateway, identity=identity, upstream_port=int(upstream.rsplit(":", 1)[1]))
        yield gateway, _customer_token(identity, settings.identity_issuer), runner
    finally:
        await runner.cleanup()


async def measure(
    *, rounds: int, requests: int, connections: int, upstream: str, only: str = ""
) -> dict[str, float]:
    upstream_port = int(upstream.rsplit(":", 1)[1])
    port = free_port()
    former = _former_upstream_client()
    try:
        async with served_gateway(upstream, port) as (gateway, token, _):
            return await _measure_cases(
                gateway,
                token,
                port=port,
                upstream_port=upstream_port,
                former=former,
                rounds=rounds,
                requests=requests,
                connections=connections,
                only=only,
            )
    finally:
        await former.close()


async def _measure_cases(
    gateway: Gateway,
    token: str,
    *,
    port: int,
    upstream_port: int,
    former: aiohttp.ClientSession,
    rounds: int,
    requests: int,
    connections: int,
    only: str,
) -> dict[str, float]:
    through = await _connections(port, connections)
    direct = await _connections(upstream_port, connections)
    cases = {
        "client -> gateway -> hello": (
            _load(through, _request(port, token), requests),
            requests,
        ),
        "client -> hello (the client's own share)": (
            _load(direct, _request(upstream_port, None), requests),
            requests,
        ),
        **_parts(gateway, token, requests),
        **_hops(gateway, requests, former),
    }
    chosen = {name: case for name, case in cases.items() if name.startswith(only)}

    def heartbeat() -> None:
        _heartbeat(gateway, upstream_port)

    through_gateway = cases["client -> gateway -> hello"][0]
    collections: dict[str, float] = {}
    if only:
        freeze_startup_heap()  # as the served gateway does
    else:  # measures both ways, then leaves the heap frozen
        collections = await _collections(through_gateway, requests, before_each=heartbeat)
    best = await _best(chosen, rounds=rounds, before_each=heartbeat)
    return best | collections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument(
        "--only", default="", help="run only the cases whose name starts so (to profile one)"
    )
    args = parser.parse_args()
    configure_logging(service="gateway", version="bench", level="warning")

    with helper_process(
        "hello_service", log_dir=Path(tempfile.mkdtemp(prefix="bazaar-gw-cost-"))
    ) as hello:
        best = uvloop.run(
            measure(
                rounds=args.rounds,
                requests=args.requests,
                connections=args.connections,
                upstream=hello.url,
                only=args.only,
            )
        )
    through, direct = "client -> gateway -> hello", "client -> hello (the client's own share)"
    if through in best and direct in best:
        gateway = best[through] - best[direct]
        print(f"{gateway:7.1f} µs  the gateway, whole request (HTTP in and out included)")
    for name, us in best.items():
        print(f"{us:7.1f} µs  {name}")


if __name__ == "__main__":
    main()
