"""The signing-key life cycle: one active key, rotation, retirement, the JWKS, and signing.

Every instance reads the active key from the database when it signs, so a rotation made by one
instance is used by all of them at once; the `KeyRing` caches decrypted private keys by `kid`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from bazaar_chassis import Caller, Clock, Reads, Unavailable, Units, Work, utc_now
from bazaar_identity import domain, events, keys, tokens
from bazaar_identity.authority import require_admin
from bazaar_identity.domain import SigningKey
from bazaar_identity.keys import ConcurrentRotation
from bazaar_identity.tokens import Grant, IssuedToken
from bazaar_identity.use_cases import Identities


class KeyRing:
    """Makes, rotates, retires and opens the signing keys of one deployment, and signs with them."""

    def __init__(
        self,
        *,
        passphrase: SecretStr,
        token_ttl_seconds: int,
        issuer: str,
        previous_passphrase: SecretStr | None = None,
    ) -> None:
        self._passphrase = passphrase
        self._previous = previous_passphrase
        self.ttl_seconds = token_ttl_seconds
        self.issuer = issuer
        self._opened: dict[str, Ed25519PrivateKey] = {}

    def _open(self, key: SigningKey) -> Ed25519PrivateKey:
        private_key = self._opened.get(key.kid)
        if private_key is None:
            private_key = keys.open_private_key(key, passphrase=self._passphrase.get_secret_value())
            self._opened[key.kid] = private_key
        return private_key

    async def ensure_active(self, work: Work[Identities], *, now: datetime) -> str:
        """The active key's kid: the stored one (checked to open) or, if none, a new one."""
        if self._previous is not None:
            await self._reencrypt(work.store, previous=self._previous)
        current = await work.store.active_key()
        if current is not None:
            self._open(current)  # fail at start, not at the first login, on a wrong passphrase
            return current.kid
        return await self._activate_new(work, now=now)

    async def _reencrypt(self, store: Identities, *, previous: SecretStr) -> None:
        """Keys still sealed with the previous passphrase are sealed again with the current."""
        for key in await store.unretired_keys():
            try:
                self._open(key)
            except keys.UndecryptableKey:
                private_key = keys.open_private_key(key, passphrase=previous.get_secret_value())
                pem = keys.sealed_pem(private_key, passphrase=self._passphrase.get_secret_value())
                await store.replace_private_pem(key.kid, pem)
                self._opened[key.kid] = private_key

    async def rotate(self, work: Work[Identities], *, now: datetime) -> str:
        """Make a new active key; the previous one keeps verifying until its tokens expire."""
        stored = await work.store.unretired_keys()
        ttl = self.ttl_seconds
        await work.store.update_key_states(
            domain.retire_expired(stored, now=now, token_ttl_seconds=ttl)
        )
        await work.store.update_key_states(domain.demote_active(stored, now=now))
        return await self._activate_new(work, now=now)

    async def retire_expired(self, store: Identities, *, now: datetime) -> list[str]:
        """Mark `retired` the retiring keys whose tokens have all expired; their kids."""
        stored = await store.unretired_keys()
        expired = domain.retire_expired(stored, now=now, token_ttl_seconds=self.ttl_seconds)
        await store.update_key_states(expired)
        for key in expired:
            self._opened.pop(key.kid, None)
        return [key.kid for key in expired]

    async def _activate_new(self, work: Work[Identities], *, now: datetime) -> str:
        new_key, private_key = keys.new_signing_key(
            passphrase=self._passphrase.get_secret_value(), now=now
        )
        await work.store.insert_key(new_key)  # ConcurrentRotation if another instance won
        self._opened[new_key.kid] = private_key
        published = [jwk["kid"] for jwk in await self.jwks(work.store, now=now)]
        work.emit(
            events.SIGNING_KEY_ACTIVATED,
            subject=events.JWKS_SUBJECT,
            sequence=await work.store.count_keys(),
            data=events.signing_key_activated(new_key.kid, published),
        )
        return new_key.kid

    async def jwks(self, store: Identities, *, now: datetime) -> list[dict[str, Any]]:
        """The public keys a verifier needs now: the active key, then those still retiring."""
        return [
            dict(key.public_jwk)
            for key in await store.unretired_keys()
            if domain.is_published(key, now=now, token_ttl_seconds=self.ttl_seconds)
        ]

    async def issue(self, store: Identities, grant: Grant, *, now: datetime) -> IssuedToken:
        """A token saying `grant`, signed with the key that is active now."""
        current = await store.active_key()
        if current is None:
            raise Unavailable("identity has no active signing key yet; retry in a moment")
        return tokens.issue(
            grant,
            issuer=self.issuer,
            now=now,
            ttl_seconds=self.ttl_seconds,
            kid=current.kid,
            private_key=self._open(current),
        )


async def ensure_active_key(
    *, units: Units[Identities], keyring: KeyRing, clock: Clock = utc_now
) -> str:
    """Make sure an active key exists and opens (a start-up step); its kid."""
    try:
        async with units() as work:
            return await keyring.ensure_active(work, now=clock())
    except ConcurrentRotation:  # another instance made the first key: use that one
        async with units() as work:
            return await keyring.ensure_active(work, now=clock())


async def rotate_keys(
    *, units: Units[Identities], keyring: KeyRing, by: Caller, clock: Clock = utc_now
) -> str:
    """Sign with a new key from now on (admins only); the new kid."""
    require_admin(by, "rotate signing keys")
    async with units() as work:
        return await keyring.rotate(work, now=clock())


async def published_keys(
    *, reads: Reads[Identities], keyring: KeyRing, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    async with reads() as store:
        return await keyring.jwks(store, now=clock())


async def retire_keys(
    *, units: Units[Identities], keyring: KeyRing, clock: Clock = utc_now
) -> list[str]:
    """Mark keys `retired` once their tokens have expired (the JWKS already omits them)."""
    async with units() as work:
        return await keyring.retire_expired(work.store, now=clock())
