"""Guessing passwords gets slower and slower: per-account and per-address back-off, in the DB.

Each password attempt is charged to its account (the email) and to the client's address before
the password is hashed. After `free_failures` charged attempts in a row, the key is blocked for
`first_delay` seconds, doubling with each further attempt up to `max_delay`; an attempt on a
blocked key is refused with 429 and Retry-After, and costs no argon2 hash. A correct password
clears its account's count and takes back its own charge on the address (so the address counts
failures only, and one good login cannot launder a guessing address). Counts are forgotten
after `forgive_after` quiet seconds. The state is a table in
identity's own database (`IdentityStore.charge_attempt`), so it survives restarts and is shared
by every identity instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bazaar_chassis import DomainError


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many sign-in attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            f"too many failed sign-in attempts for this account or address; retry in {seconds}s",
            headers={"Retry-After": str(seconds)},
        )


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    free_failures: int
    first_delay: float = 1.0
    max_delay: float = 900.0
    forgive_after: float = 3600.0

    def delay(self, failures: int) -> float:
        """Seconds a key stays blocked after its `failures`-th failure in a row (0: none)."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** (failures - self.free_failures))


ACCOUNT_POLICY = ThrottlePolicy(free_failures=5)
ADDRESS_POLICY = ThrottlePolicy(free_failures=20)


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str) -> str:
    return f"address:{address}"


def keys(*, email: str | None, address: str | None) -> list[tuple[str, ThrottlePolicy]]:
    """The keys one password attempt is charged to, with their policies."""
    found = []
    if email:
        found.append((account_key(email), ACCOUNT_POLICY))
    if address:
        found.append((address_key(address), ADDRESS_POLICY))
    return found


def quiet_since(now: datetime) -> datetime:
    """Counts untouched since then are forgotten (unless blocked): the longest `forgive_after`."""
    return now - timedelta(seconds=max(ACCOUNT_POLICY.forgive_after, ADDRESS_POLICY.forgive_after))
