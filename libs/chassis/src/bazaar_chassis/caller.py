"""Who is calling: the identity the gateway verified, in a form a service can verify (M7).

The gateway authenticates the client (a JWT from identity, or nobody = guest) and forwards the
result as an assertion in the `Bazaar-Identity` header, a JWT authenticated with HMAC-SHA256
under a key that only the gateway and the addressed service hold (docs/adr/0009). Each
assertion is good for one request only: it names the target service (`aud`), the method and
path (`htm`, `htp`) and a hash of the query (`hq`), lives ~10 s and has a unique id (`jti`)
that a service accepts once. A service's key makes assertions that only that service accepts:
it cannot speak for anyone to another service, and it answers 401 to anything that did not come
through the gateway for exactly this request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import orjson

from bazaar_chassis.errors import ConfigurationError, Unauthorized, Unavailable
from bazaar_chassis.kept import KeptByText
from bazaar_chassis.replay import ReplayCache

IDENTITY_HEADER = "bazaar-identity"
ASSERTION_ISSUER = "bazaar-gateway"
MAX_ASSERTION_LIFETIME_SECONDS = 60.0  # a longer-lived assertion is refused outright
CLOCK_LEEWAY_SECONDS = 2.0
CallerKind = Literal["user", "service", "guest"]

MIN_KEY_CHARACTERS = 32  # a key or the gateway's secret: base64url text of 32 bytes (43)

# A compact JWS (RFC 7515) header: HS256, nothing else, so no token of another kind (identity's
# EdDSA access tokens, `alg: none`) is ever read as an assertion. Hand-rolled with orjson
# because it is made and checked once per request; PyJWT costs about twice as much for the same
# token. An HMAC costs ~1 µs where the Ed25519 verification it replaced cost 60-70 µs, the
# largest single cost of a service's cheapest request (docs/benchmarks.md, P1b; ADR 9).
JWS_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


@dataclass(frozen=True, slots=True)
class Caller:
    """The subject of a request as the gateway established it.

    `token_id` and `token_expires` name the access token the caller presented (None for
    guests), so a service can act on that token itself, e.g. identity revoking it at logout.
    """

    subject: str
    kind: CallerKind
    organization: str
    roles: tuple[str, ...]
    email: str | None = None
    token_id: str | None = None
    token_expires: int | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Caller:
        kind = claims.get("kind", "user")
        if kind not in ("user", "service", "guest"):
            raise Unauthorized(f"unknown caller kind {kind!r}")
        token_expires = claims.get("texp")
        return cls(
            subject=str(claims["sub"]),
            kind=kind,
            organization=str(claims["org"]),
            roles=tuple(str(r) for r in claims.get("roles", ())),
            email=claims.get("email"),
            token_id=claims.get("tid"),
            token_expires=int(token_expires) if token_expires is not None else None,
        )


GUEST = Caller(subject="guest", kind="guest", organization="public", roles=("guest",))


def assertion_key(text: str) -> bytes:
    """A service's assertion key (or the gateway's secret) as bytes, refused if too short."""
    key = text.strip()
    if len(key) < MIN_KEY_CHARACTERS:
        raise ConfigurationError(
            f"an assertion key or secret has at least {MIN_KEY_CHARACTERS} characters; "
            "`bazaar up` makes them in <data dir>/secrets"
        )
    return key.encode()


class HS256:
    """The JWS signature of an HS256 assertion: HMAC-SHA256 of its header and payload, keyed
    once. Not `hmac.digest`, which releases the GIL on every call: with another thread runnable
    (aiosqlite's, the span exporter's) each assertion then waited for a thread switch."""

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod="sha256")

    def __call__(self, signing_input: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(signing_input)
        return mac.digest()


def query_hash(query: str) -> str | None:
    """A digest of a query string in canonical form (decoded, re-encoded); None if empty.

    The gateway hashes the query it sends and the service the query it received, so the two
    agree whatever percent-encoding each HTTP library chose for the same parameters. The same
    few queries come again and again (a category's pages), and canonical form is most of the
    cost (~10 µs per request, in the gateway and in the service): digests are kept (`kept`).
    """
    return _kept_hash(query)


def _hash(query: str) -> str | None:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return None
    return b64url(hashlib.sha256(urlencode(pairs).encode()).digest()[:16]).decode()


_kept_hash = KeptByText(_hash)


def b64url(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _unb64(part: bytes) -> bytes:
    return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))


class AssertionVerifier:
    """Checks that an assertion is the gateway's, for this service and this very request, and
    new: each `jti` is accepted once per process (see ReplayCache)."""

    def __init__(
        self, key: bytes | None, *, audience: str, replays: ReplayCache | None = None
    ) -> None:
        self._mac = HS256(key) if key is not None else None
        self.audience = audience
        self._replays = replays or ReplayCache()

    def verify(self, token: str | None, *, method: str, path: str, query: str = "") -> Caller:
        if self._mac is None:
            raise Unauthorized(
                "this instance has no assertion key (BAZAAR_ASSERTION_KEY_FILE), so it "
                "accepts no requests; call it through the gateway"
            )
        if not token:
            raise Unauthorized("call this service through the gateway (no identity assertion)")
        claims = self._signed_claims(token)
        now = time.time()
        self._check_time(claims, now)
        self._check_binding(claims, method=method, path=path, query=query)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise Unauthorized("identity assertion rejected: it has no id (jti)")
        try:
            caller = Caller.from_claims(claims)
        except (KeyError, TypeError, ValueError) as exc:
            raise Unauthorized(f"identity assertion rejected: bad claims ({exc})") from exc
        if self._replays.full:
            raise Unavailable("too many requests in flight to check for replays; retry shortly")
        if self._replays.seen_before(
            jti, expires=float(claims["exp"]) + CLOCK_LEEWAY_SECONDS, now=now
        ):
            raise Unauthorized("identity assertion rejected: it was already used (replay)")
        return caller

    def _signed_claims(self, token: str) -> dict[str, Any]:
        assert self._mac is not None
        raw = token.encode()
        signing_input, _, signature = raw.rpartition(b".")
        header, _, payload = signing_input.partition(b".")
        if header != JWS_HEADER or not payload:
            raise Unauthorized("identity assertion rejected: not an HS256 assertion")
        try:
            authentic = hmac.compare_digest(self._mac(signing_input), _unb64(signature))
            claims = orjson.loads(_unb64(payload)) if authentic else None
        except (binascii.Error, ValueError):
            authentic = False
        if not authentic:
            raise Unauthorized("identity assertion rejected: signature verification failed")
        if not isinstance(claims, dict):
            raise Unauthorized("identity assertion rejected: its payload is not an object")
        return claims

    def _check_time(self, claims: dict[str, Any], now: float) -> None:
        if claims.get("iss") != ASSERTION_ISSUER:
            raise Unauthorized("identity assertion rejected: not issued by the gateway")
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, int | float) or not isinstance(issued, int | float):
            raise Unauthorized("identity assertion rejected: it has no exp or iat")
        if expires <= now - CLOCK_LEEWAY_SECONDS:
            raise Unauthorized("identity assertion rejected: it has expired")
        if issued > now + CLOCK_LEEWAY_SECONDS:
            raise Unauthorized("identity assertion rejected: issued in the future")
        if expires - issued > MAX_ASSERTION_LIFETIME_SECONDS:
            raise Unauthorized("identity assertion rejected: its lifetime is too long")

    def _check_binding(self, claims: dict[str, Any], *, method: str, path: str, query: str) -> None:
        if claims.get("aud") != self.audience:
            raise Unauthorized(
                f"identity assertion rejected: it is for {claims.get('aud')!r}, "
                f"not {self.audience!r}"
            )
        if claims.get("htm") != method.upper() or claims.get("htp") != path:
            raise Unauthorized(
                f"identity assertion rejected: it is for {claims.get('htm')} "
                f"{claims.get('htp')}, not {method.upper()} {path}"
            )
        if claims.get("hq") != query_hash(query):
            raise Unauthorized("identity assertion rejected: it is for another query string")
