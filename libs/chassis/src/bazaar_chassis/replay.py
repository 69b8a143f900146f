"""Remembers the ids of identity assertions already accepted, so none is accepted twice.

Per process and bounded: an id is kept until its assertion expires (assertions live ~10 s), and
when the cache is full the next assertion is refused rather than an old id being forgotten.
"""

from __future__ import annotations

from collections import deque


class ReplayCache:
    """`seen_before(jti, expires)` is True the second time an id comes, until it expires."""

    def __init__(self, *, capacity: int = 1_000_000) -> None:
        self._capacity = capacity
        self._expiry: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()  # (expires, jti), roughly by expiry

    def __len__(self) -> int:
        return len(self._expiry)

    @property
    def full(self) -> bool:
        return len(self._expiry) >= self._capacity

    def seen_before(self, jti: str, *, expires: float, now: float) -> bool:
        """Record `jti` (valid until `expires`); True if it was already recorded and unexpired."""
        self._forget_expired(now)
        known = self._expiry.get(jti)
        if known is not None and known > now:
            return True
        self._expiry[jti] = expires
        self._order.append((expires, jti))
        return False

    def _forget_expired(self, now: float) -> None:
        order, expiry = self._order, self._expiry
        while order and order[0][0] <= now:
            expires, jti = order.popleft()
            if expiry.get(jti) == expires:
                del expiry[jti]
