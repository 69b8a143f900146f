"""Served processes freeze their startup heap once they are up (bazaar_chassis.runner), so full
garbage collections stop walking the ~150k objects that live as long as the process.

Each server runs in a process of its own, as in production: freezing is process-wide, and a test
process that froze would keep every later test's garbage cycles. The served app answers how many
objects the collector has frozen, read after startup, when a request can first arrive.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from bazaar_chassis.testing.waiting import eventually_sync
from bazaar_platform.nats_server import free_port

UVICORN_SERVICE = """
import gc, sys
from fastapi import FastAPI
from bazaar_chassis.runner import bind_socket, run_server

app = FastAPI()

@app.get("/frozen")
def frozen() -> int:
    return gc.get_freeze_count()

run_server(app, bind_socket("127.0.0.1", int(sys.argv[1])))
"""

AIOHTTP_APP = """
import gc, sys
from aiohttp import web
from bazaar_platform.serving import serve_aiohttp

async def frozen(_request: web.Request) -> web.Response:
    return web.json_response(gc.get_freeze_count())

app = web.Application()
app.router.add_get("/frozen", frozen)
serve_aiohttp(app, host="127.0.0.1", port=int(sys.argv[1]))
"""


@pytest.fixture(params=["uvicorn (services, console)", "aiohttp (gateway, storefront)"])
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    script = UVICORN_SERVICE if request.param.startswith("uvicorn") else AIOHTTP_APP
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", script, str(port)])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_served_process_has_frozen_its_startup_heap(served: str) -> None:
    def answer() -> httpx.Response | None:
        try:
            return httpx.get(f"{served}/frozen", timeout=1.0)
        except httpx.TransportError:
            return None  # not listening yet

    frozen = int(eventually_sync(answer, timeout=20, message="the server answered").json())
    assert frozen > 10_000, f"only {frozen} objects frozen: the startup heap is still tracked"
