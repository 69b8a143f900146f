"""Kept answers: a hot read is answered with the very response it gave last while the read
model's generation has not moved, before FastAPI's routing, dependencies and validation run.

The catalog wraps its routes in it (`keep_hot_reads` in service.py), naming how to read its
generation (a counter bumped in every transaction that applies events), the GET endpoints
whose answer depends on nothing but the path, the query and the read model, and the query
parameters that make an answer depend on more (the product's `forceInventorySync` asks
inventory): a request naming one is always rendered. It sits inside the
chassis's identity check and observability, so every request is still verified, traced and
counted; only what lies below (the framework and the endpoint) is skipped.

Freshness: the generation is read on every request of a kept key, *before* rendering, so a
rendering is never kept under a generation newer than what it shows; every instance reads the
same database, so once an event's transaction commits the next request to any instance renders
afresh. A key is first served once without keeping (that is how its endpoint is learnt), so
other requests never pay for a generation read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CAPACITY = 1024  # keys kept (pages x limits x offsets, products); the least recently used goes


@dataclass(frozen=True, slots=True)
class _Answer:
    generation: object
    route: Any = None  # what the router matched, for the metrics' route label
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""


_LEARNT = _Answer(generation=None)  # the key's endpoint keeps answers; none is kept yet


class KeptAnswersMiddleware:
    """Pure ASGI: replays a kept 200 for a GET of the same path and query at the same
    generation; anything else goes through to the app (and a 200 of a kept endpoint is kept)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        generation: Callable[[], Awaitable[object]],
        endpoints: Iterable[Callable[..., Any]],
        never_with: Iterable[str] = (),
        capacity: int = CAPACITY,
    ) -> None:
        self.app = app
        self._generation = generation
        self._endpoints = frozenset(endpoints)
        self._never_with = frozenset(never_with)
        self._never_with_bytes = tuple(name.encode() for name in self._never_with)
        self._capacity = capacity
        self._kept: dict[tuple[str, bytes], _Answer] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or self._asks_more(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        kept = self._kept.pop(key, None)  # put back below, as the most recently used
        if kept is None:
            await self.app(scope, receive, send)
            if self._keeps(scope):
                self._keep(key, _LEARNT)
            return
        self._kept[key] = kept
        now = await self._generation()
        if kept is not _LEARNT and kept.generation == now:
            scope["route"] = kept.route
            headers = list(kept.headers)  # a fresh list: layers above may add to it
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": kept.body})
            return
        await self._render(scope, receive, send, key, now)

    def _asks_more(self, scope: Scope) -> bool:
        """Whether the query names a parameter that reaches past the read model (parsed as the
        framework parses it, so an escaped name is recognised too). Parsing costs ~5 µs, so a
        query that cannot name one (no such bytes, nothing escaped) is let through first."""
        query: bytes = scope["query_string"]
        if b"%" not in query and not any(name in query for name in self._never_with_bytes):
            return False
        names = {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
        return not self._never_with.isdisjoint(names)

    def _keeps(self, scope: Scope) -> bool:
        return getattr(scope.get("route"), "endpoint", None) in self._endpoints

    def _keep(self, key: tuple[str, bytes], answer: _Answer) -> None:
        if len(self._kept) >= self._capacity and key not in self._kept:
            del self._kept[next(iter(self._kept))]  # a dict keeps insertion order: the oldest
        self._kept[key] = answer

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes], now: object
    ) -> None:
        """The app's answer, sent on and kept under `now` if it is a complete 200."""
        status, headers, body = 0, (), bytearray()

        async def keeping(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], tuple(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keeping)
        if status == 200 and self._keeps(scope):
            self._keep(key, _Answer(now, scope["route"], headers, bytes(body)))
