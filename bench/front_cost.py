"""What the gateway's HTTP front costs: the same forwarding work on three fronts (P2b, ADR 10).

`python -m bench.front_cost [--rounds 3] [--duration 5]`. One process serves the real gateway
app (`build_app`) on aiohttp alone, and the same app behind the gateway's lean front
(`front.serve_front`, as `python -m bazaar_gateway` serves it). On a third port, a raw ASGI
callable on uvicorn (httptools, uvloop) runs the same `Gateway` object's forwarding
(`forwarding.forward_incoming`) and writes its answer: the alternative ADR 10 turned down, kept
here so that the choice can be measured again. It exists to measure, not to serve: GET only,
no bodies, no limits.

Upstream is the hello-world (bench/hello_service.py, its own process), primed into the
directory as bench/gateway_cost.py does. Two measurements, the fronts alternated:
- in-process, a few requests at a time from a client in this process (its share subtracted),
  minimum over batches of CPU time per request;
- under `wrk -t1 -c32`, this process's CPU seconds (from /proc) over the requests served.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from multidict import CIMultiDict

from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import freeze_startup_heap
from bazaar_chassis.testing.waiting import eventually
from bazaar_gateway.forwarding import forward_incoming
from bazaar_gateway.front import serve_front, stop_front
from bazaar_gateway.incoming import Incoming
from bazaar_gateway.state import Gateway
from bazaar_platform.nats_server import free_port
from bench.gateway_cost import (
    _best,
    _connections,
    _heartbeat,
    _load,
    _request,
    served_gateway,
)
from bench.hello_service import PATH
from bench.processes import helper_process

Reply = tuple[int, list[tuple[str, str]], bytes]


async def forward_once(
    gateway: Gateway, method: str, target: str, headers: CIMultiDict[str], remote: str
) -> Reply:
    """The gateway's own forwarding (`forward_incoming`), without aiohttp's server around it."""
    request = Incoming.from_wire(method, target, headers, remote, b"")
    response = await forward_incoming(gateway, request)
    assert isinstance(response.body, bytes)
    answer = [*response.headers.items(), ("x-request-id", request.request_id)]
    return response.status, answer, response.body


def asgi_front(gateway: Gateway) -> Callable[..., Awaitable[None]]:
    """The same work as a raw ASGI callable (no framework), for uvicorn."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        headers = CIMultiDict(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
        )
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        status, answer, body = await forward_once(
            gateway, scope["method"], target, headers, scope["client"][0]
        )
        answer.append(("content-length", str(len(body))))
        encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer]
        await send({"type": "http.response.start", "status": status, "headers": encoded})
        await send({"type": "http.response.body", "body": body})

    return app


def _cpu_seconds() -> float:
    with open(f"/proc/{os.getpid()}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _under_wrk(
    port: int, script: Path, seconds: float, gateway: Gateway, upstream_port: int
) -> tuple[float, float]:
    """Requests per second and this process's CPU µs per request under `wrk -t1 -c32`
    (`script` gives wrk the customer's token)."""
    before = _cpu_seconds()
    wrk = await asyncio.create_subprocess_exec(
        *("wrk", "-t1", "-c32", f"-d{seconds:g}s", "-s", str(script)),
        f"http://127.0.0.1:{port}{PATH}",
        stdout=asyncio.subprocess.PIPE,
    )
    while wrk.returncode is None:  # keep the hello entry's heartbeat fresh
        _heartbeat(gateway, upstream_port)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wrk.wait(), 1.0)
    used = _cpu_seconds() - before
    assert wrk.stdout is not None
    report = (await wrk.stdout.read()).decode()
    if "Non-2xx" in report or "Socket errors" in report:
        raise RuntimeError(f"wrk saw errors:\n{report}")
    served = int(report.split(" requests in")[0].split()[-1])
    return served / seconds, used / served * 1e6


async def measure(*, upstream: str, rounds: int, seconds: float, work: Path) -> None:
    upstream_port = int(upstream.rsplit(":", 1)[1])
    ports = {"aiohttp alone": free_port(), "the lean front (front.py)": free_port()}
    ports["uvicorn, raw ASGI"] = free_port()
    async with served_gateway(upstream, ports["aiohttp alone"]) as (gateway, token, runner):
        lean, connections = await serve_front(
            runner, host="127.0.0.1", port=ports["the lean front (front.py)"]
        )
        config = uvicorn.Config(
            asgi_front(gateway),
            port=ports["uvicorn, raw ASGI"],
            loop="none",
            http="httptools",
            lifespan="off",
            access_log=False,
            log_level="warning",
        )
        asgi = uvicorn.Server(config)
        serving = asyncio.ensure_future(asgi.serve())
        try:

            async def started() -> bool:
                return asgi.started

            await eventually(started, message="uvicorn did not start")
            script = work / "token.lua"
            script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
            freeze_startup_heap()  # as the served gateway does
            await _compare(gateway, token, ports, upstream_port, rounds, seconds, script)
        finally:
            asgi.should_exit = True
            await serving
            await stop_front(lean, connections, grace_seconds=1.0)


async def _compare(
    gateway: Gateway,
    token: str,
    ports: dict[str, int],
    upstream_port: int,
    rounds: int,
    seconds: float,
    script: Path,
) -> None:
    requests = 200
    cases = {
        name: (_load(await _connections(port, 8), _request(port, token), requests), requests)
        for name, port in ports.items()
    }
    client = await _connections(upstream_port, 8)
    cases["client"] = (_load(client, _request(upstream_port, None), requests), requests)
    best = await _best(cases, rounds=30, before_each=lambda: _heartbeat(gateway, upstream_port))
    print("in-process, CPU µs per request (minimum over 30 batches, the client's share out):")
    for name in ports:
        print(f"  {best[name] - best['client']:6.1f}  {name}")
    print(f"under wrk -t1 -c32, {rounds} rounds of {seconds:g} s, alternated:")
    for round_ in range(1, rounds + 1):
        for name, port in ports.items():
            rate, cost = await _under_wrk(port, script, seconds, gateway, upstream_port)
            print(f"  round {round_}  {cost:6.1f} µs/request  {rate:7,.0f} req/s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk round")
    args = parser.parse_args()
    configure_logging(service="gateway", version="bench", level="warning")
    log_dir = Path(tempfile.mkdtemp(prefix="bazaar-front-cost-"))
    with helper_process("hello_service", log_dir=log_dir) as hello:
        uvloop.run(
            measure(upstream=hello.url, rounds=args.rounds, seconds=args.duration, work=log_dir)
        )


if __name__ == "__main__":
    main()
