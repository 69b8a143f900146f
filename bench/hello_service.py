"""The hello-world as a registered service: what the gateway forwards to in P2b.

`python -m bench.hello_service --port N [--nats-url U]` (the NATS user and password in
`BAZAAR_BENCH_NATS_USER` / `BAZAAR_BENCH_NATS_PASSWORD`): bench/hello.py's bare FastAPI app, its
answer also at `/hello/1/hello` (service `hello`, major 1), announced in the `services` registry
by the chassis's own `Registration` heartbeat, so the gateway learns of it the way it learns of
every service (without `--nats-url` it registers nowhere: the in-process harness
bench/gateway_cost.py puts the entry in its gateway's directory itself). It ignores the gateway's
identity assertion: an upstream that costs less than the gateway, so that the gateway's own cost
is what a run saturates. `POST /v1/traces` accepts and drops spans (the harness's collector).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bazaar_chassis.bus import Bus
from bazaar_chassis.registry import Instance, Registration
from bench import hello
from bench.serving import serve

SERVICE = "hello"
PATH = f"/{SERVICE}/1/hello"
HEARTBEAT_SECONDS = 2.0
HELLO_RULE = {  # the policy rule that lets customers call it (P2b adds it through the API)
    "role": "customer",
    "organization": "public",
    "object": f"/{SERVICE}/*",
    "action": "GET",
    "effect": "allow",
}


def instance_at(port: int) -> Instance:
    """The registry entry of the hello service listening on `port`."""
    url = f"http://127.0.0.1:{port}"
    return Instance(
        service=SERVICE,
        version="0.0.0-bench",
        instance_id=f"{SERVICE}-{port}",
        url=url,
        majors=[1],
        default_major=1,
        openapi_url=f"{url}/openapi.json",
    )


def build_app(*, port: int, nats_url: str | None, user: str, password: str) -> FastAPI:
    app = hello.build_app()

    @app.get(PATH)
    async def hello_service() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/v1/traces")
    async def traces() -> dict[str, str]:
        """A collector that takes every span and keeps none: the exporter's cost stays."""
        return {}

    if nats_url is None:
        return app

    @asynccontextmanager
    async def registered(_app: FastAPI) -> AsyncIterator[None]:
        bus = Bus(url=nats_url, name=SERVICE, user=user, password=password)
        registration = Registration(
            bus=bus, instance=instance_at(port), heartbeat_seconds=HEARTBEAT_SECONDS
        )
        await bus.start()
        await registration.start()
        try:
            yield
        finally:
            await registration.stop()
            await bus.close()

    app.router.lifespan_context = registered
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nats-url", default=None)
    args = parser.parse_args()
    app = build_app(
        port=args.port,
        nats_url=args.nats_url,
        user=os.environ.get("BAZAAR_BENCH_NATS_USER", ""),
        password=os.environ.get("BAZAAR_BENCH_NATS_PASSWORD", ""),
    )
    serve(app, port=args.port)


if __name__ == "__main__":
    main()
