"""The collaborators identity's use cases need beyond `units`/`reads`, made once per app.

One `IdentityContext` per app (on `app.state.identity`): identity's settings, the password
hasher, the key ring and the clock (a test may hand in its own clock to age tokens and keys).
Routes and start-up steps hand the use cases the pieces they need from it, never all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from bazaar_chassis import Clock, utc_now
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.settings import IdentitySettings, key_passphrase
from bazaar_identity.use_cases.signing import KeyRing


@dataclass
class IdentityContext:
    settings: IdentitySettings
    keyring: KeyRing
    passwords: PasswordHashing = field(default_factory=PasswordHashing)
    clock: Clock = utc_now

    @classmethod
    def create(cls, settings: IdentitySettings, *, clock: Clock = utc_now) -> IdentityContext:
        keyring = KeyRing(
            passphrase=key_passphrase(settings),
            previous_passphrase=settings.previous_key_passphrase,
            token_ttl_seconds=settings.token_ttl_seconds,
            issuer=settings.issuer,
        )
        return cls(settings=settings, keyring=keyring, clock=clock)


def get_identity(request: Request) -> IdentityContext:
    identity: IdentityContext = request.app.state.identity
    return identity


IdentityDep = Annotated[IdentityContext, Depends(get_identity)]
