"""Imported once by the fork server (bazaar_cli.launcher) before it forks any component: the
libraries every service imports, so that each child starts with them loaded and shares their pages.

Nothing here may start a thread, open a socket or read the environment: children fork from this
state, each with its own environment. A library that fails to import is left to the child.
"""

from __future__ import annotations

import gc
import importlib
import threading

SHARED_MODULES = (
    # the web stack of services and apps
    "fastapi",
    "fastapi.routing",
    "pydantic",
    "pydantic.v1",  # FastAPI imports it at the first route with a response model
    "pydantic_settings",
    "starlette.applications",
    "uvicorn",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
    "uvloop",
    "aiohttp",
    "aiohttp.web",
    "jinja2",
    # the database
    "sqlalchemy",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "aiosqlite",
    "asyncpg",
    # bus, logs, traces, metrics, keys
    "nats",
    "nats.js",
    "structlog",
    "opentelemetry.sdk.trace",
    "prometheus_client",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "jwt",
    # the chassis itself (its names load lazily: import the modules services use)
    "bazaar_chassis.service",
    "bazaar_chassis.runner",
    "bazaar_chassis.consumer",
    "bazaar_chassis.outbox",
    "bazaar_chassis.unit_of_work",
    "bazaar_chassis.tracing",
    "bazaar_chassis.logs",
    "bazaar_chassis.metrics",
    "bazaar_platform.operations_token",
    "bazaar_shelf.card",
    "bazaar_shelf.copying",
    # the CLI's entry point: a forked child re-runs the parent's `__main__` script
    "bazaar_cli.entry",
)


def _load() -> None:
    for name in SHARED_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - the child imports it again and reports the error
            continue
    if threading.active_count() != 1:  # forking a process with threads copies only one of them
        raise RuntimeError("importing the shared stack started a thread; fork would be unsafe")
    # Move everything imported so far out of the collector's reach: a child's collections then
    # never write to these objects' headers, so their pages stay shared.
    gc.freeze()


_load()
