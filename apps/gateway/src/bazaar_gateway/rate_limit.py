"""Per-client rate limits: a token bucket per caller (subject, or address for guests)."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` requests per second on average, bursts up to `burst`; 0 disables the limit."""

    def __init__(self, *, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def retry_after(self, client: str) -> float:
        """0 when the request may pass (and is counted), else seconds until it could."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                self._buckets.clear()
            bucket = self._buckets[client] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._rate
