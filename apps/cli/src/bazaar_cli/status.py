"""`bazaar status`: what runs, and whether each part is healthy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import psutil
from rich.console import Console
from rich.table import Table

from bazaar_cli import readiness
from bazaar_cli.state import DataDirLock, RunState


def show_status(*, data_dir: Path, console: Console) -> bool:
    """Print a table of processes; True if everything is running and ready."""
    state = RunState.load(data_dir)
    if state is None or not DataDirLock(data_dir).is_held_by_someone():
        console.print(f"Bazaar is not running (no `bazaar up` holds {data_dir.resolve()}).")
        return False
    rows = asyncio.run(_probe_all(state))
    table = Table(title=f"Bazaar — gateway {state.gateway_url}")
    for column in ("process", "pid", "url", "state"):
        table.add_column(column)
    healthy = True
    for name, pid, url, status in rows:
        healthy &= status == "ready"
        colour = {"ready": "green", "degraded": "yellow"}.get(status, "red")
        table.add_row(name, str(pid), url, f"[{colour}]{status}[/]")
    console.print(table)
    return healthy


async def _probe_all(state: RunState) -> list[tuple[str, int, str, str]]:
    async with aiohttp.ClientSession() as session:

        async def one(name: str, pid: int, url: str) -> tuple[str, int, str, str]:
            if not psutil.pid_exists(pid):
                return name, pid, url, "not running"
            body = await readiness.probe(session, f"{url}/readyz")
            return name, pid, url, (body or {}).get("status", "not answering")

        return await asyncio.gather(*(one(p.name, p.pid, p.url) for p in state.processes))
