"""Who is calling: verify the Bearer JWT issued by identity, or treat the caller as a guest.

Tokens must be EdDSA-signed by a key in identity's JWKS and carry our issuer, an expiry, a
subject, an organization and roles; anything else (expired, tampered, unknown key, `alg: none`,
another algorithm) is a 401. Verified tokens are cached until they expire, so the signature is
checked once per token, not once per request. The JWKS is fetched from identity on demand: at
start, when a token names an unknown key id (at most every few seconds), and when identity
announces a new signing key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import structlog

from bazaar_chassis.caller import GUEST, Caller
from bazaar_chassis.errors import Unauthorized, Unavailable

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]

REFRESH_AT_MOST_EVERY_SECONDS = 2.0
_CACHE_LIMIT = 50_000

_log = structlog.get_logger("bazaar.gateway.authentication")


class InvalidToken(Unauthorized):
    title = "Invalid token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Authenticator:
    def __init__(self, *, fetch_jwks: JwksFetcher, issuer: str) -> None:
        self._fetch_jwks = fetch_jwks
        self._issuer = issuer
        self._keys: dict[str, Any] = {}
        self._last_refresh = 0.0
        self._refreshing: asyncio.Lock = asyncio.Lock()
        self._verified: dict[str, tuple[Caller, float]] = {}

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
            if cached[1] > time.time():
                return cached[0]
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
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (caller, float(claims["exp"]))
        return caller

    async def _key(self, kid: str) -> Any:
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
        """Fetch identity's JWKS now (one fetch at a time)."""
        async with self._refreshing:
            self._last_refresh = time.monotonic()
            try:
                document = await self._fetch_jwks()
            except Exception as exc:
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
