"""Runs one service instance as an OS process: `python -m bazaar_<service>`.

The listening socket is bound before the app is built, so the instance registers the port it
really has (`BAZAAR_PORT=0` picks a free one). uvicorn with uvloop and httptools serves it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from bazaar_chassis.settings import ServiceSettings


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(build_app: Callable[[ServiceSettings], FastAPI]) -> None:
    """Build the app from the environment's settings and serve it until SIGINT/SIGTERM."""
    settings = ServiceSettings()
    sock = bind_socket(settings.host, settings.port)
    settings = settings.model_copy(update={"port": sock.getsockname()[1]})
    app = build_app(settings)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])
