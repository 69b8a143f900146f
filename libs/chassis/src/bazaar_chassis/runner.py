"""Runs one service instance as an OS process: `python -m bazaar_<service>`.

The listening socket is bound before the app is built, so the instance registers the port it
really has (`BAZAAR_PORT=0` picks a free one). uvicorn with uvloop and httptools serves it.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from bazaar_chassis.errors import ConfigurationError
from bazaar_chassis.settings import ServiceSettings


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(build_app: Callable[[ServiceSettings], FastAPI]) -> None:
    """Build the app from the environment's settings and serve it until SIGINT/SIGTERM."""
    exit_with_parent()
    try:
        settings = ServiceSettings()
        sock = bind_socket(settings.host, settings.port)
    except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
        sys.exit(f"cannot start: {exc}")
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    try:
        app = build_app(settings)
    except ConfigurationError as exc:
        sock.close()
        sys.exit(f"cannot start: {exc}")
    run_server(app, sock)


def run_server(app: ASGIApp, sock: socket.socket) -> None:
    """Serve `app` on `sock` until SIGINT/SIGTERM, as every Bazaar service process is served
    (the benchmarks' helper apps too, so a comparison differs only in the app)."""
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        ws="none",  # no service speaks WebSocket: skip importing a WebSocket library
        lifespan="on",
        log_config=None,
        access_log=False,
        # The peer stays the peer: who calls is in the gateway's assertion, and a service that
        # needs the client's address reads the gateway's X-Forwarded-For itself (identity).
        proxy_headers=False,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    _Server(config).run(sockets=[sock])


def freeze_startup_heap() -> None:
    """Move everything alive after startup out of the garbage collector's sight.

    A started process holds ~150k objects (modules, classes, the app) that live as long as it
    does. Left tracked, every full collection walks all of them: ~110 ms of one core every few
    thousand requests, ~50 µs per request in the gateway, and a pause in the middle of someone's
    request. Frozen, they are still freed by reference counting; only a cycle among them that
    turns to garbage later would never be collected, and startup objects do not do that.
    """
    gc.collect()
    gc.freeze()


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        freeze_startup_heap()


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Stop this process (SIGTERM to itself) when the process that started it is gone.

    `bazaar up` starts every service; if it is killed outright, its children must not live on
    holding ports and database files.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.environ.get("BAZAAR_EXIT_WITH_PARENT") == "1":
        threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
