"""The signing-key life cycle against the database: one active key, rotation, the JWKS.

Every instance reads the active key from the database when it signs, so a rotation made by one
instance is used by all of them at once; decrypted private keys are cached by `kid`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import Conflict, Unavailable, UnitOfWork
from bazaar_identity import domain, events, keys, store
from bazaar_identity.domain import SigningKey


class ConcurrentRotation(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "another instance made a new signing key at the same moment; read the JWKS again"
        )


class KeyRing:
    """Makes, rotates, retires and opens the signing keys of one identity deployment."""

    def __init__(
        self,
        *,
        passphrase: SecretStr,
        token_ttl_seconds: int,
        previous_passphrase: SecretStr | None = None,
    ) -> None:
        self._passphrase = passphrase
        self._previous = previous_passphrase
        self._ttl = token_ttl_seconds
        self._opened: dict[str, Ed25519PrivateKey] = {}

    def _open(self, key: SigningKey) -> Ed25519PrivateKey:
        private_key = self._opened.get(key.kid)
        if private_key is None:
            private_key = keys.open_private_key(key, passphrase=self._passphrase.get_secret_value())
            self._opened[key.kid] = private_key
        return private_key

    async def ensure_active(self, uow: UnitOfWork, *, now: datetime) -> str:
        """The active key's kid: the stored one (checked to open) or, if none, a new one."""
        if self._previous is not None:
            await self._reencrypt(uow)
        current = await store.active_key(uow.connection)
        if current is not None:
            self._open(current)  # fail at start, not at the first login, on a wrong passphrase
            return current.kid
        return await self._activate_new(uow, now=now)

    async def _reencrypt(self, uow: UnitOfWork) -> None:
        """Keys still sealed with the previous passphrase are sealed again with the current."""
        assert self._previous is not None
        for key in await store.unretired_keys(uow.connection):
            try:
                self._open(key)
            except keys.UndecryptableKey:
                private_key = keys.open_private_key(
                    key, passphrase=self._previous.get_secret_value()
                )
                pem = keys.sealed_pem(private_key, passphrase=self._passphrase.get_secret_value())
                await store.replace_private_pem(uow.connection, key.kid, pem)
                self._opened[key.kid] = private_key

    async def rotate(self, uow: UnitOfWork, *, now: datetime) -> str:
        """Make a new active key; the previous one keeps verifying until its tokens expire."""
        stored = await store.unretired_keys(uow.connection)
        await store.update_key_states(
            uow.connection, domain.retire_expired(stored, now=now, token_ttl_seconds=self._ttl)
        )
        await store.update_key_states(uow.connection, domain.demote_active(stored, now=now))
        return await self._activate_new(uow, now=now)

    async def retire_expired(self, uow: UnitOfWork, *, now: datetime) -> list[str]:
        """Mark `retired` the retiring keys whose tokens have all expired; their kids."""
        stored = await store.unretired_keys(uow.connection)
        expired = domain.retire_expired(stored, now=now, token_ttl_seconds=self._ttl)
        await store.update_key_states(uow.connection, expired)
        for key in expired:
            self._opened.pop(key.kid, None)
        return [key.kid for key in expired]

    async def _activate_new(self, uow: UnitOfWork, *, now: datetime) -> str:
        new_key, private_key = keys.new_signing_key(
            passphrase=self._passphrase.get_secret_value(), now=now
        )
        try:
            await store.insert_key(uow.connection, new_key)
        except IntegrityError as exc:
            raise ConcurrentRotation from exc
        self._opened[new_key.kid] = private_key
        published = [jwk["kid"] for jwk in await self.jwks(uow.connection, now=now)]
        uow.emit(
            events.SIGNING_KEY_ACTIVATED,
            subject=events.JWKS_SUBJECT,
            sequence=await store.count_keys(uow.connection),
            data=events.signing_key_activated(new_key.kid, published),
        )
        return new_key.kid

    async def signer(self, connection: AsyncConnection) -> tuple[str, Ed25519PrivateKey]:
        """The kid and private key that sign new tokens now."""
        current = await store.active_key(connection)
        if current is None:
            raise Unavailable("identity has no active signing key yet; retry in a moment")
        return current.kid, self._open(current)

    async def jwks(self, connection: AsyncConnection, *, now: datetime) -> list[dict[str, Any]]:
        """The public keys a verifier needs now: the active key, then those still retiring."""
        return [
            dict(key.public_jwk)
            for key in await store.unretired_keys(connection)
            if domain.is_published(key, now=now, token_ttl_seconds=self._ttl)
        ]
