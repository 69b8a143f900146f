"""CPU per request of the ASGI apps alone, called in one process, layer by layer: no uvicorn, no
wrk, no sockets. `python -m bench.app_cost [--rounds 40] [--requests 100]`.

The catalog (the real app on bench/catalog_alone.py's seeded database, every request with its
own assertion) is entered at each layer of its middleware stack in turn, next to the bare
FastAPI hello-world: the differences are what each layer costs. Batches are short and
interleaved, and each figure is the *minimum* over rounds of process CPU time per request: on a
shared virtual machine CPU time is inflated by contention and by time stolen from the guest,
and the least-disturbed batch is the best estimate of the code's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bazaar_catalog.service import build_app
from bazaar_chassis import ServiceSettings
from bazaar_chassis.caller import GUEST, IDENTITY_HEADER, Caller
from bazaar_chassis.identity_middleware import GatewayIdentityMiddleware
from bazaar_platform.assertions import AssertionSigner, service_key
from bench import hello
from bench.catalog_alone import seed

PAGE = "/catalog/1/categories/coffee/products", "limit=10"
LIST = "/catalog/1/categories", ""
ASGI = Callable[..., Awaitable[None]]


def _scope(path: str, query: str, identity: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"*/*")]
    if identity is not None:
        headers.append((IDENTITY_HEADER.encode(), identity.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def call(
    app: ASGI, path: str, query: str = "", *, identity: str | None = None, host: Any = None
) -> None:
    """One GET through `app` as uvicorn would send it; `host` is the app the layers need in
    `scope["app"]` when `app` is a layer inside it. Fails unless the answer is 200."""
    scope = _scope(path, query, identity)
    if host is not None:
        scope["app"] = host
    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, _receive, send)
    if status != 200:
        raise RuntimeError(f"{path}: status {status}")


class _Trusting:
    """A verifier that checks nothing: what the identity layer costs without its verifier."""

    def verify(self, token: str | None, *, method: str, path: str, query: str = "") -> Caller:
        return GUEST


def _layers(app: Any) -> dict[str, Any]:
    """The app's middleware stack by class name, outermost first."""
    found, node = {}, app.build_middleware_stack()
    while node is not None:
        found[type(node).__name__] = node
        node = getattr(node, "app", None)
    return found


async def _catalog(directory: Path) -> tuple[Any, Callable[[str, str], str]]:
    secret = secrets.token_urlsafe(32).encode()
    settings = ServiceSettings(
        data_dir=directory,
        nats_url="nats://127.0.0.1:9",
        assertion_key=SecretStr(service_key(secret, "catalog")),
        log_level="warning",
    )
    await seed(settings)
    signer = AssertionSigner(secret, ttl_seconds=50)

    def mint(path: str, query: str) -> str:
        return signer.assertion(GUEST, audience="catalog", method="GET", path=path, query=query)

    return build_app(settings), mint


async def measure(*, rounds: int, requests: int) -> dict[str, float]:
    """Minimum CPU µs per request of each case (minting the assertions included; see "mint")."""
    catalog, mint = await _catalog(Path(tempfile.mkdtemp(prefix="bazaar-app-cost-")))
    layers = _layers(catalog)
    identity = layers["GatewayIdentityMiddleware"]
    trusting = GatewayIdentityMiddleware(identity.app, verifier=_Trusting())  # type: ignore[arg-type]
    hello_app = hello.build_app()

    def through(app: ASGI, path: str, query: str) -> Callable[[], Awaitable[None]]:
        return lambda: call(app, path, query, identity=mint(path, query), host=catalog)

    cases: Mapping[str, Callable[[], Awaitable[None]]] = {
        "hello": lambda: call(hello_app, "/hello"),
        "list, whole app": through(catalog, *LIST),
        "page, whole app": through(catalog, *PAGE),
        "page, from ObservabilityMiddleware": through(layers["ObservabilityMiddleware"], *PAGE),
        "page, from GatewayIdentityMiddleware": through(identity, *PAGE),
        "page, identity without its verifier": through(trusting, *PAGE),
        "page, below identity (kept answer)": lambda: call(identity.app, *PAGE, host=catalog),
        "page, below kept answers (routing, endpoint)": lambda: call(
            layers["KeptAnswersMiddleware"].app, *PAGE, host=catalog
        ),
    }
    best = dict.fromkeys([*cases, "mint"], float("inf"))
    for case in cases.values():
        await case()  # warm: imports, caches, first connection
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            mint(*PAGE)
        best["mint"] = min(best["mint"], (time.process_time() - started) / requests * 1e6)
        for name, case in cases.items():
            started = time.process_time()
            for _ in range(requests):
                await case()
            best[name] = min(best[name], (time.process_time() - started) / requests * 1e6)
    return best


def layer_table(best: Mapping[str, float]) -> dict[str, float]:
    """Per-layer µs of one page request, from the differences between entry points."""
    minted = best["mint"]
    whole = best["page, whole app"] - minted
    observed = best["page, from ObservabilityMiddleware"] - minted
    identity = best["page, from GatewayIdentityMiddleware"] - minted
    trusting = best["page, identity without its verifier"] - minted
    below = best["page, below identity (kept answer)"]
    return {
        "FastAPI's outer middleware (errors, body limit)": whole - observed,
        "ObservabilityMiddleware (request id, span, metrics)": observed - identity,
        "assertion: the verifier (MAC, claims, replay cache)": identity - trusting,
        "assertion: the middleware around it": trusting - below,
        "kept answer (generation read, replay)": below,
        "whole page (app only, no HTTP server)": whole,
        "whole list (app only, no HTTP server)": best["list, whole app"] - minted,
        "hello-world (app only)": best["hello"],
        "what a kept answer skips: routing, validation, endpoint": best[
            "page, below kept answers (routing, endpoint)"
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    best = asyncio.run(measure(rounds=args.rounds, requests=args.requests))
    for name, us in layer_table(best).items():
        print(f"{us:7.0f} µs  {name}")


if __name__ == "__main__":
    main()
