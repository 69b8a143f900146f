"""Answers worked out from a text (a path, a query) and kept, since the same few texts come
again and again: the latest `entries`, and only for a text of at most `characters`, so that a
flood of long made-up texts holds a few MB at most. A longer text is worked out every time.

The text is the call's last argument; an exception is not kept (the text is read again)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

ENTRIES = 4096
CHARACTERS = 256

T = TypeVar("T")


class KeptByText(Generic[T]):
    def __init__(
        self, work: Callable[..., T], *, entries: int = ENTRIES, characters: int = CHARACTERS
    ) -> None:
        self._work = work
        self._kept = functools.lru_cache(maxsize=entries)(work)
        self._characters = characters

    def __call__(self, *args: Any) -> T:
        return self._kept(*args) if len(args[-1]) <= self._characters else self._work(*args)

    def count(self) -> int:
        """How many answers are kept."""
        return self._kept.cache_info().currsize

    def forget(self) -> None:
        self._kept.cache_clear()
