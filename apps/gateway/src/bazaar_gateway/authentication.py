"""Who is calling: verify the Bearer JWT issued by identity, or treat the caller as a guest.

Tokens must be EdDSA-signed by a key in identity's JWKS and carry our issuer, an expiry, a
subject, an organization and roles; anything else (expired, tampered, unknown key, `alg: none`,
another algorithm) is a 401. Verified tokens are cached until they expire, so the signature is
checked once per token, not once per request. The JWKS is fetched from identity on demand: at
start, when a token names an unknown key id (at most every few seconds), and when identity
announces a new signing key. A revoked token (logout, or an admin's revocation; see
revocation.py) is a 401 from the moment the revocation reaches this instance, cached or not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import structlog
from nats.aio.msg import Msg

from bazaar_chassis.bus import Bus
from bazaar_chassis.caller import GUEST, Caller
from bazaar_chassis.errors import Unauthorized, Unavailable
from bazaar_gateway.directory import NoLiveInstance
from bazaar_gateway.revocation import (
    REVOKED_SUBJECT,
    RevocationList,
    RevocationsFetcher,
    Revoked,
    from_event,
)

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]

REFRESH_AT_MOST_EVERY_SECONDS = 2.0
_CACHE_LIMIT = 50_000

_log = structlog.get_logger("bazaar.gateway.authentication")


class InvalidToken(Unauthorized):
    title = "Invalid token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class RevokedToken(InvalidToken):
    def __init__(self) -> None:
        super().__init__("the token has been revoked (signed out); get a new one")


class Authenticator:
    def __init__(
        self,
        *,
        fetch_jwks: JwksFetcher,
        issuer: str,
        fetch_revocations: RevocationsFetcher | None = None,
    ) -> None:
        self._fetch_jwks = fetch_jwks
        self._issuer = issuer
        self._keys: dict[str, Any] = {}
        self._last_refresh = 0.0
        self._refreshing: asyncio.Lock = asyncio.Lock()
        self._verified: dict[str, tuple[Caller, float, int]] = {}  # token -> caller, exp, iat
        self._fetch_revocations = fetch_revocations
        self._last_revocations_load = 0.0
        self._loading_revocations: asyncio.Lock = asyncio.Lock()
        self.revocations = RevocationList()
        self._subscribed = False

    def peek(self, authorization: str | None) -> Caller | None:
        """The caller of an already verified token, without verifying anything (None: unknown
        token or none at all). Lets rate limiting run before any signature check."""
        if not authorization:
            return None
        cached = self._verified.get(authorization.partition(" ")[2].strip())
        return cached[0] if cached is not None else None

    async def caller(self, authorization: str | None) -> Caller:
        """The caller behind an `Authorization` header value (None: a guest)."""
        if not authorization:
            return GUEST
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("use 'Authorization: Bearer <token>' (from POST /identity/1/token)")
        token = token.strip()
        cached = self._verified.get(token)
        if cached is not None:
            caller, expires, issued = cached
            if expires > time.time():
                if self.revocations.covers(
                    jti=caller.token_id, subject=caller.subject, issued_at=issued
                ):
                    del self._verified[token]
                    raise RevokedToken()
                return caller
            del self._verified[token]
        return await self._verify(token)

    async def _verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not a JWT: {exc}") from exc
        if header.get("alg") != "EdDSA":
            raise InvalidToken(f"token algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("the token names no signing key (kid)")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired; get a new one") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from exc
        if not isinstance(claims.get("org"), str) or not isinstance(claims.get("roles"), list):
            raise InvalidToken("the token carries no organization or roles")
        caller = Caller(
            subject=str(claims["sub"]),
            kind="service" if claims.get("kind") == "service" else "user",
            organization=claims["org"],
            roles=tuple(str(r) for r in claims["roles"]),
            email=claims.get("email"),
            token_id=str(claims["jti"]) if claims.get("jti") else None,
            token_expires=int(claims["exp"]),
        )
        await self._load_revocations()
        issued = int(claims["iat"])
        if self.revocations.covers(jti=caller.token_id, subject=caller.subject, issued_at=issued):
            raise RevokedToken()
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (caller, float(claims["exp"]), issued)
        return caller

    async def _load_revocations(self) -> None:
        """Load identity's live revocations if this instance has not got them yet; until it has,
        no token is accepted (a revoked one could be among them)."""
        if self._fetch_revocations is None or self.revocations.loaded:
            return
        async with self._loading_revocations:  # the first tokens at once: all wait for one load
            since_last = time.monotonic() - self._last_revocations_load
            if not self.revocations.loaded and since_last > REFRESH_AT_MOST_EVERY_SECONDS:
                await self.reload_revocations()
        if not self.revocations.loaded:
            raise Unavailable("tokens cannot be checked right now (revocations not loaded)")

    async def reload_revocations(self) -> None:
        """Replace the revocation list with identity's (after a start or a reconnect)."""
        if self._fetch_revocations is None:
            return
        self._last_revocations_load = time.monotonic()
        try:
            everything = await self._fetch_revocations()
        except Exception as exc:
            if isinstance(exc, NoLiveInstance):  # nothing was asked: the next token may ask
                self._last_revocations_load = 0.0
            _log.warning("revocations fetch failed", error=str(exc))
            self.revocations.loaded = False
            return
        self.revocations.replace(everything)
        self._forget_covered()

    def revoke(self, revoked: Revoked) -> None:
        """Apply one revocation now: later requests with a covered token get 401."""
        self.revocations.prune()
        self.revocations.add(revoked)
        self._forget_covered()

    def _forget_covered(self) -> None:
        covers = self.revocations.covers
        for token, (caller, _, issued) in list(self._verified.items()):
            if covers(jti=caller.token_id, subject=caller.subject, issued_at=issued):
                del self._verified[token]

    async def follow_revocations(self, bus: Bus) -> None:
        """On every (re)connect: subscribe once to identity's revocations, then reload the
        list, since announcements made while this instance was away were not heard."""
        if not self._subscribed:

            async def heard(message: Msg) -> None:
                try:
                    self.revoke(from_event(message.data))
                except (ValueError, KeyError, TypeError) as exc:
                    _log.warning("ignoring a malformed revocation", error=str(exc))

            await bus.client.subscribe(REVOKED_SUBJECT, cb=heard)
            self._subscribed = True
        if self.revocations.loaded:
            await self.reload_revocations()

    async def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is None and self._refreshing.locked():  # a fetch under way may bring it
            async with self._refreshing:
                key = self._keys.get(kid)
        if key is None and time.monotonic() - self._last_refresh > REFRESH_AT_MOST_EVERY_SECONDS:
            await self.refresh()
            key = self._keys.get(kid)
        if key is None:
            if not self._keys:
                raise Unavailable("tokens cannot be checked right now (identity unreachable)")
            raise InvalidToken("the token was signed by a key identity does not publish")
        return key

    async def refresh(self) -> None:
        """Fetch identity's JWKS now (one fetch at a time). Identity announces its first key
        before it registers: a fetch that found no instance to ask does not hold back the
        next one."""
        async with self._refreshing:
            self._last_refresh = time.monotonic()
            try:
                document = await self._fetch_jwks()
            except Exception as exc:
                if isinstance(exc, NoLiveInstance):  # nothing was asked: the next key asks
                    self._last_refresh = 0.0
                _log.warning("JWKS fetch failed", error=str(exc))
                return
            keys = {}
            for jwk in document.get("keys", []):
                try:
                    keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="EdDSA").key
                except (KeyError, jwt.PyJWTError) as exc:
                    _log.warning("ignoring an unusable JWK", error=str(exc))
            self._keys = keys
            # A token verified with a key that is gone must be checked again.
            self._verified.clear()
