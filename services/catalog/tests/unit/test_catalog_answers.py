"""Kept answers (api/answers.py): sent again while the read model's generation stands still,
rendered afresh as soon as it moves, and never kept when rendering fails."""

from __future__ import annotations

import pytest

from bazaar_catalog.api.answers import Answers
from bazaar_catalog.domain import CategoryNotFound


class Renders:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> bytes:
        self.count += 1
        return f"answer {self.count}".encode()


async def test_an_answer_is_rendered_once_while_the_generation_stands_still() -> None:
    generation = 7

    async def current() -> int:
        return generation

    answers, render = Answers(current), Renders()
    assert await answers.answer("page", render) == b"answer 1"
    assert await answers.answer("page", render) == b"answer 1"
    assert render.count == 1
    generation = 8  # an event was applied (by any instance)
    assert await answers.answer("page", render) == b"answer 2"


async def test_answers_are_kept_per_key_and_all_dropped_when_the_capacity_is_reached() -> None:
    async def current() -> int:
        return 1

    answers, render = Answers(current, capacity=2), Renders()
    await answers.answer("a", render)
    await answers.answer("b", render)
    assert await answers.answer("a", render) == b"answer 1"
    await answers.answer("c", render)  # full: everything kept so far is dropped
    assert await answers.answer("a", render) == b"answer 4"


async def test_a_failed_rendering_is_not_kept() -> None:
    async def current() -> int:
        return 1

    async def missing() -> bytes:
        raise CategoryNotFound("nope")

    answers = Answers(current)
    with pytest.raises(CategoryNotFound):
        await answers.answer("page", missing)
    assert await answers.answer("page", Renders()) == b"answer 1"
