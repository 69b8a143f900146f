"""The gateway's own Python per request, counted in instructions: a measure that does not move
with the machine (P2b, sixteenth pass).

`python -m bench.instructions [--export]` runs the lean front (front.py) and the gateway's
forwarding on a request for the hello-world, with both sockets replaced by stand-ins: the
client's transport takes the answer, the upstream's feeds back a fixed reply. Nothing else runs,
so the count is the same from run to run (±0.5 %), where CPU time on this shared machine moves
by 20 % (docs/benchmarks.md, P2b). It runs itself twice under valgrind's cachegrind, 1,000 and
3,000 requests after the same warm-up, and prints the difference per request. Code in C
extensions counts too; valgrind's CPU lacks some of the real one's instructions, so the
counts of orjson and OpenSSL are inflated: compare counts of one kind of change, not across.
Span export is off unless `--export` (it runs on its own thread, at its own pace).

`--requests N` runs once, without valgrind (that is what valgrind runs). Valgrind is Debian's
`valgrind` package (`apt-get install valgrind`); nothing else installs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from typing import Any

import uvloop

from bazaar_chassis.logs import configure_logging
from bazaar_chassis.runner import freeze_startup_heap
from bazaar_gateway import upstream_pool
from bazaar_gateway.front import Front, OwnRoutes
from bazaar_platform.nats_server import free_port
from bench.gateway_cost import _heartbeat, served_gateway
from bench.hello_service import PATH

REPLY = (
    b"HTTP/1.1 200 OK\r\ndate: Fri, 04 Dec 2026 12:00:00 GMT\r\nserver: uvicorn\r\n"
    b"content-length: 13\r\ncontent-type: application/json\r\nbazaar-route: /hello\r\n\r\n"
    b'{"hello":"x"}'
)
UPSTREAM_PORT = 9  # nothing is sent there: the upstream's transport is a stand-in


class _Upstream:
    """An upstream connection's transport: each request is answered with REPLY on the next turn."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def write(self, data: bytes) -> None:
        asyncio.get_running_loop().call_soon(self._connection.data_received, REPLY)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class _Client:
    """The client's transport: takes each answer, which must be a 200."""

    def __init__(self) -> None:
        self.answered: asyncio.Future[None] | None = None

    def write(self, data: bytes) -> None:
        if not data.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(data[:300])
        assert self.answered is not None
        self.answered.set_result(None)

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 50000)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


async def _serve(requests: int, *, export: bool) -> None:
    async with served_gateway(f"http://127.0.0.1:{UPSTREAM_PORT}", free_port()) as served:
        gateway, token, runner = served
        if not export:
            gateway.spans._provider.processors._span_processors = ()  # type: ignore[attr-defined]

        async def connect(pool: Any, url: str, deadline: float) -> Any:
            connection = upstream_pool._Connection(url, pool._forget)
            connection.connection_made(_Upstream(connection))  # type: ignore[arg-type]
            pool._open.add(connection)
            return connection

        upstream_pool.ConnectionPool._connect = connect  # type: ignore[method-assign,assignment]
        request = (
            f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
        assert runner.server is not None
        front = Front(
            gateway,
            set(),
            runner.server,
            OwnRoutes(runner.app.router),
            keepalive_seconds=75,
            head_seconds=10,
        )
        client = _Client()
        front.connection_made(client)  # type: ignore[arg-type]

        async def send(count: int) -> None:
            for number in range(count):
                if number % 1000 == 0:
                    _heartbeat(gateway, UPSTREAM_PORT)
                client.answered = asyncio.get_running_loop().create_future()
                front.data_received(request)
                await client.answered
                await asyncio.sleep(0)  # the answering task ends

        await send(600)  # caches, the pool's connection, the first span batch
        freeze_startup_heap()
        await send(requests)


def _instructions(requests: int, *, export: bool) -> int:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    command += [sys.executable, "-m", "bench.instructions", "--requests", str(requests)]
    command += ["--export"] if export else []
    ran = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", ran.stderr)
    if found is None:
        raise RuntimeError(f"valgrind did not report a count:\n{ran.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--export", action="store_true", help="export spans (own thread)")
    parser.add_argument("--requests", type=int, help="run once, N requests, no valgrind")
    args = parser.parse_args()
    configure_logging(service="gateway", version="bench", level="warning")
    if args.requests is not None:
        uvloop.run(_serve(args.requests, export=args.export))
        return
    fewer, more = (_instructions(n, export=args.export) for n in (1_000, 3_000))
    print(f"{(more - fewer) / 2_000:,.0f} instructions per request (valgrind's count)")


if __name__ == "__main__":
    main()
