"""The console from a terminal: `bazaar services`, `events`, `slo`, `dlq` and `trace` sign in at
the gateway and read the console's API (`/console/1/...`), as the web UI does."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from bazaar_client import ApiProblem, BazaarClient


class OperationFailed(Exception):
    """Said to the user in one line."""


async def _call(
    gateway: str, *, user: str, password: str, method: str, path: str, **kwargs: Any
) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        try:
            token = await BazaarClient(session, gateway).sign_in(user, password)
        except ApiProblem as refused:
            raise OperationFailed(f"cannot sign in as {user}: {refused.detail}") from None
        headers = {"Authorization": f"Bearer {token}"}
        async with session.request(method, gateway + path, headers=headers, **kwargs) as reply:
            body = await reply.json(content_type=None)
            if reply.status >= 400:
                raise OperationFailed(f"{path}: {reply.status} {body.get('detail', body)}")
            return body


def call(gateway: str, *, user: str, password: str, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return asyncio.run(
            _call(gateway, user=user, password=password, method=method, path=path, **kwargs)
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise OperationFailed(f"the gateway at {gateway} did not answer: {exc}") from exc


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
    return table


def show_services(body: Any, console: Console) -> None:
    rows = [
        [
            s["name"],
            s["health"],
            ", ".join(f"v{m}" for m in s["majors"]),
            ", ".join(f"{r['release']} ({r['instances']})" for r in s["releases"]),
        ]
        for s in body["items"]
    ]
    console.print(_table("services", ["service", "health", "majors", "releases"], rows))


def show_events(body: Any, console: Console) -> None:
    rows = []
    for e in body["items"]:
        consumers = ", ".join(
            f"{c['service']}(lag {c['lag'] if c.get('lag') is not None else '-'}, "
            f"{c.get('consumed_per_second', 0):.2f}/s)"
            for c in e["consumers"]
        )
        published = f"{e.get('published_per_second', 0):.2f}/s"
        rows.append([e["name"], e["producer"], e["schema_versions"], published, consumers])
    columns = ["event", "producer", "schemas", "published", "consumers (lag, consumed)"]
    console.print(_table("events", columns, rows))
    console.print(f"dead letters: {body['dead_letters']}")


def show_slo(body: Any, console: Console) -> None:
    rows = [
        [
            r["service"],
            r["major"],
            r["release"],
            r["route"],
            r["requests"],
            f"{r['availability'] * 100:.2f}%" if r["availability"] is not None else None,
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
        ]
        for r in body["routes"]
    ]
    columns = ["service", "major", "release", "route", "requests", "avail.", "p50", "p95", "p99"]
    console.print(_table(f"last {body['window_seconds']:.0f} s", columns, rows))


def show_dead_letters(body: Any, console: Console) -> None:
    rows = [
        [
            d["sequence"],
            d["consumer"],
            d["event"]["type"] if d["event"] else d["subject"],
            d["event"]["subject"] if d["event"] else None,
            d["error"][:80],
        ]
        for d in body["items"]
    ]
    console.print(_table("dead letters", ["#", "consumer", "event", "about", "error"], rows))


def show_trace(body: Any, console: Console) -> None:
    rows = [
        [
            f"{'  ' * s['depth']}{s['name']}",
            f"{s['service']} {s['release']}",
            f"{s['offset_ms']:.1f}",
            f"{s['duration_ms']:.1f}",
            "error" if s["error"] else "",
        ]
        for s in body["spans"]
    ]
    columns = ["span", "service release", "at ms", "ms", ""]
    console.print(_table(f"trace {body['trace_id']}", columns, rows))
