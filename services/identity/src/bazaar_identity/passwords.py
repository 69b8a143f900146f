"""Password hashing with argon2id, and a failure path that takes as long as a success.

Verifying against a dummy hash when the user is unknown means the time a login takes does not
tell an attacker whether an email is registered. Hashing is slow on purpose, so the async
variants run it in a worker thread and never block the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class PasswordHashing:
    """argon2id hashing and verification with the RFC 9106 low-memory profile by default."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` matches; `None` (no such user) costs the same and is False."""
        if stored_hash is None:
            self._check(self._dummy_hash, password)
            return False
        return self._check(stored_hash, password)

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def warm_up(self) -> None:
        """Make the dummy hash now, so the first unknown-user login is not the slow one."""
        await asyncio.to_thread(lambda: self._dummy_hash)

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, stored_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self.verify, stored_hash, password)
