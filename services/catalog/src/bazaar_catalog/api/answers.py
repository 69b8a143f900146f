"""Pre-serialized answers of the catalog's hot reads, each kept with the read model's generation
it was made at and sent again only while that generation is still the database's.

The generation is bumped in the same transaction that applies events (consumers.py) and read on
every request (one tiny read, `QuickReads.scalar`: autocommit on SQLite, a snapshot query on
PostgreSQL), so once an event is acknowledged the very next request to any instance finds a newer
generation and renders afresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated

from fastapi import Depends, Request

CAPACITY = 1024  # answers kept (pages x limits x offsets); all are dropped when it is reached


class Answers:
    """`answer(key, render)`: the bytes `render` made for `key` at the current generation."""

    def __init__(self, generation: Callable[[], Awaitable[int]], *, capacity: int = CAPACITY):
        self._generation = generation
        self._capacity = capacity
        self._kept: dict[Hashable, tuple[int, bytes]] = {}

    async def answer(self, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        # Read before rendering: the rendering sees at least this generation's state, so it is
        # never kept under a generation newer than what it shows (at worst older: a re-render).
        now = await self._generation()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == now:
            return kept[1]
        body = await render()  # raises (404...) before anything is kept
        if len(self._kept) >= self._capacity:
            self._kept.clear()
        self._kept[key] = (now, body)
        return body


async def get_answers(request: Request) -> Answers:
    answers: Answers = request.app.state.answers
    return answers


AnswersDep = Annotated[Answers, Depends(get_answers)]
