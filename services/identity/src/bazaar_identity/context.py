"""What identity's routes, grants and start-up steps share beyond the chassis `Runtime`.

One `IdentityContext` per app (on `app.state.identity`): identity's settings, the password
hasher, the key ring and the clock (a test may hand in its own clock to age tokens and keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from bazaar_identity.keyring import KeyRing
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.settings import IdentitySettings, key_passphrase


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IdentityContext:
    settings: IdentitySettings
    keyring: KeyRing
    passwords: PasswordHashing = field(default_factory=PasswordHashing)
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def create(
        cls, settings: IdentitySettings, *, clock: Callable[[], datetime] = utc_now
    ) -> IdentityContext:
        keyring = KeyRing(
            passphrase=key_passphrase(settings),
            previous_passphrase=settings.previous_key_passphrase,
            token_ttl_seconds=settings.token_ttl_seconds,
        )
        return cls(settings=settings, keyring=keyring, clock=clock)

    def now(self) -> datetime:
        return self.clock()


def get_identity(request: Request) -> IdentityContext:
    identity: IdentityContext = request.app.state.identity
    return identity


IdentityDep = Annotated[IdentityContext, Depends(get_identity)]
