"""Kept answers (kept_answers.py): a kept endpoint's 200 is sent again, whole, while the
generation stands still and rendered afresh as soon as it moves; nothing else is ever kept, and
requests of other endpoints never read the generation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from bazaar_catalog.kept_answers import KeptAnswersMiddleware


def kept_page() -> None:
    """Stands for an endpoint whose answers are kept."""


def other_page() -> None:
    """Stands for an endpoint whose answers are not."""


@dataclass(frozen=True)
class Route:
    path: str
    endpoint: Callable[..., Any]


class App:
    """A stand-in for the framework: routes `/kept...` to `kept_page`, the rest to
    `other_page`, answers `status` with a body that counts its renderings."""

    def __init__(self) -> None:
        self.renders = 0
        self.status = 200

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.renders += 1
        endpoint = kept_page if scope["path"].startswith("/kept") else other_page
        scope["route"] = Route(scope["path"], endpoint)
        headers = [(b"content-type", b"application/json"), (b"x-rendering", b"%d" % self.renders)]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"part": 1', "more_body": True})
        await send({"type": "http.response.body", "body": b', "rendering": %d}' % self.renders})


class Generation:
    def __init__(self) -> None:
        self.value = 1
        self.reads = 0

    async def __call__(self) -> int:
        self.reads += 1
        return self.value


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any


async def get(
    middleware: KeptAnswersMiddleware, path: str, *, method: str = "GET", query: bytes = b"limit=10"
) -> Answer:
    scope: Scope = {"type": "http", "method": method, "path": path, "query_string": query}
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await middleware(scope, receive, send)
    start, *bodies = messages
    body = b"".join(message.get("body", b"") for message in bodies)
    return Answer(start["status"], list(start["headers"]), body, scope.get("route"))


def kept(app: App, generation: Generation, *, capacity: int = 16) -> KeptAnswersMiddleware:
    return KeptAnswersMiddleware(
        app, generation=generation, endpoints=[kept_page], never_with=["sync"], capacity=capacity
    )


async def test_a_kept_answer_is_sent_again_whole_until_the_generation_moves() -> None:
    app, generation = App(), Generation()
    middleware = kept(app, generation)
    await get(middleware, "/kept")  # learns that the path's endpoint keeps answers
    rendered = await get(middleware, "/kept")
    replayed = await get(middleware, "/kept")
    assert app.renders == 2
    assert (replayed.status, replayed.headers, replayed.body) == (
        rendered.status,
        rendered.headers,
        rendered.body,
    )
    assert rendered.body == b'{"part": 1, "rendering": 2}'
    assert replayed.route == rendered.route  # metrics still label the route
    generation.value = 2  # an event was applied (by any instance)
    assert (await get(middleware, "/kept")).body == b'{"part": 1, "rendering": 3}'
    assert (await get(middleware, "/kept")).body == b'{"part": 1, "rendering": 3}'


async def test_other_endpoints_other_methods_and_failures_are_never_kept() -> None:
    app, generation = App(), Generation()
    middleware = kept(app, generation)
    for _ in range(3):
        await get(middleware, "/other")
        await get(middleware, "/kept", method="POST")
    assert app.renders == 6
    assert generation.reads == 0  # they never pay for the generation read
    app.status = 404
    for _ in range(3):
        assert (await get(middleware, "/kept")).status == 404
    assert app.renders == 9
    app.status = 200
    assert (await get(middleware, "/kept")).status == 200
    assert app.renders == 10


async def test_the_least_recently_used_key_is_dropped_when_the_capacity_is_reached() -> None:
    app, generation = App(), Generation()
    middleware = kept(app, generation, capacity=2)
    for path in ("/kept/a", "/kept/a", "/kept/b", "/kept/b"):
        await get(middleware, path)
    assert app.renders == 4
    await get(middleware, "/kept/a")  # kept: no rendering; now the most recently used
    assert app.renders == 4
    await get(middleware, "/kept/c")  # full: /kept/b, the least recently used, is dropped
    await get(middleware, "/kept/a")
    assert app.renders == 5
    await get(middleware, "/kept/b")  # learnt afresh, rendered
    assert app.renders == 6


async def test_a_query_reaching_past_the_read_model_is_always_rendered() -> None:
    app, generation = App(), Generation()
    middleware = kept(app, generation)
    for query in (b"sync=true", b"limit=10&sync=1", b"%73ync=true", b"sync"):
        for _ in range(3):
            await get(middleware, "/kept", query=query)
    assert app.renders == 12
    assert generation.reads == 0
    for _ in range(3):  # a name that only contains it is an ordinary query
        await get(middleware, "/kept", query=b"syncing=1")
    assert app.renders == 14
