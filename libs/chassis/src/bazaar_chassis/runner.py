"""Runs one service instance as an OS process: `python -m bazaar_<service>`.

The listening socket is bound before the app is built, so the instance registers the port it
really has (`BAZAAR_PORT=0` picks a free one). uvicorn with uvloop and httptools serves it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

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
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        ws="none",  # no service speaks WebSocket: skip importing a WebSocket library
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])


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
