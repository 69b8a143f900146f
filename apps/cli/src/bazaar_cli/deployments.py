"""`bazaar deploy` and `undeploy` reach the running `bazaar up` over a Unix socket in its data dir:
its supervisor starts (and keeps restarting) one more instance, or stops one; nothing else restarts.

One JSON request, one JSON reply per connection. The socket lives in the private data dir, so
only the platform's owner can ask; starting an instance waits until it is ready (or failed).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bazaar_cli import readiness
from bazaar_cli.platform import BUS_SERVICES, Component
from bazaar_cli.releases import Launch
from bazaar_cli.supervisor import Supervisor

READY_TIMEOUT_SECONDS = 120.0
MAX_MESSAGE_BYTES = 64 * 1024


class DeployFailed(Exception):
    """Said to the user in one line."""


def control_path(data_dir: Path) -> Path:
    return data_dir.resolve() / "run" / "control.sock"


def component_named(service: str) -> Component:
    found = next((c for c in BUS_SERVICES if c.name == service), None)
    if found is None:
        names = ", ".join(c.name for c in BUS_SERVICES)
        raise DeployFailed(f"no service named {service!r} (services: {names})")
    return found


async def start_instance(supervisor: Supervisor, service: str, launch: Launch) -> dict[str, Any]:
    """Start one more instance of `service` and wait until it says it is ready."""
    child = supervisor.start(component_named(service), launch)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while (body := await readiness.probe(session, f"{child.url}/readyz")) is None or body.get(
            "status"
        ) != "ready":
            if not child.alive() or time.monotonic() - started > READY_TIMEOUT_SECONDS:
                await asyncio.to_thread(supervisor.stop_child, child)
                raise DeployFailed(
                    f"{service} from {launch.label} did not become ready "
                    f"(exit code {child.process.returncode}); see {child.log}"
                )
            await asyncio.sleep(0.1)
    return {
        "service": service,
        "release": body.get("version", "?"),
        "url": child.url,
        "pid": child.process.pid,
        "log": str(child.log),
        "source": launch.label,
    }


async def stop_instances(supervisor: Supervisor, service: str, urls: list[str]) -> list[str]:
    """Stop the instances of `service` at `urls`; refused if none of its instances would be left."""
    mine = [c for c in supervisor.children if c.component.name == service]
    chosen = [c for c in mine if c.url in urls]
    if not chosen:
        raise DeployFailed(f"this `bazaar up` runs no instance of {service} at {', '.join(urls)}")
    if len(chosen) == len(mine):
        raise DeployFailed(
            f"that would stop every instance of {service}; deploy its successor first"
        )
    for child in chosen:
        await asyncio.to_thread(supervisor.stop_child, child)
    return [c.url for c in chosen]


async def _handle(supervisor: Supervisor, request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "deploy":
        launch = Launch(**request["launch"])
        return await start_instance(supervisor, request["service"], launch)
    if request.get("op") == "undeploy":
        stopped = await stop_instances(supervisor, request["service"], list(request["urls"]))
        return {"stopped": stopped}
    raise DeployFailed(f"unknown request {request.get('op')!r}")


async def serve_control(
    supervisor: Supervisor, *, on_change: Callable[[], None]
) -> asyncio.AbstractServer:
    """Answer `bazaar deploy` / `undeploy` for as long as the returned server runs."""
    path = control_path(supervisor.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = orjson.loads(await reader.readline())
            reply = {"ok": True, **await _handle(supervisor, request)}
            on_change()
        except (DeployFailed, KeyError, TypeError, ValueError) as exc:
            reply = {"ok": False, "error": str(exc)}
        writer.write(orjson.dumps(reply) + b"\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(answer, path=str(path), limit=MAX_MESSAGE_BYTES)


def ask(data_dir: Path, request: dict[str, Any]) -> dict[str, Any]:
    """Send `request` to the `bazaar up` running on `data_dir` and return its answer."""
    path = control_path(data_dir)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(READY_TIMEOUT_SECONDS + 30)
        try:
            connection.connect(str(path))
        except OSError as exc:
            raise DeployFailed(
                f"no `bazaar up` answers on {path} ({exc.strerror}); start the platform first"
            ) from exc
        connection.sendall(orjson.dumps(request) + b"\n")
        reply = b""
        while chunk := connection.recv(MAX_MESSAGE_BYTES):
            reply += chunk
    answer: dict[str, Any] = orjson.loads(reply)
    if not answer.get("ok"):
        raise DeployFailed(str(answer.get("error", answer)))
    return answer
