"""A gateway secret for tests, so in-process services can be called as a chosen caller.

Tests play the gateway: they sign identity assertions with this process's test secret, and the
`service_settings` fixture (`TestServiceSettings`) gives each service the key derived from it
for its own name, as `bazaar up` does. Assertions are single-use and bound to one request, so a
test client signs each request itself (`GatewaySigning`); `identity_headers(caller)` names who
a request is from and the client binds it to the request.
"""

from __future__ import annotations

import secrets
from functools import cache

import httpx
import jwt

from bazaar_chassis.caller import IDENTITY_HEADER, Caller, assertion_key
from bazaar_chassis.settings import ServiceSettings
from bazaar_platform.assertions import AssertionSigner, service_key

ADMIN = Caller(
    subject="test-admin",
    kind="user",
    organization="bazaar",
    roles=("admin",),
    email="admin@bazaar.test",
)
UNBOUND = "bazaar-test-unbound"  # the audience of a caller-only assertion from identity_headers


@cache
def gateway_assertion_secret() -> str:
    """This test process's gateway secret (GatewaySettings.assertion_secret)."""
    return secrets.token_urlsafe(32)


@cache
def _signer() -> AssertionSigner:
    return AssertionSigner(gateway_assertion_secret().encode())


@cache
def _naming_signer() -> AssertionSigner:
    # services refuse what it signs: unbound, and with a lifetime too long
    return AssertionSigner(gateway_assertion_secret().encode(), ttl_seconds=24 * 3600)


def assertion_key_for(service: str) -> str:
    """The key `service` holds in tests (ServiceSettings.assertion_key), as `bazaar up` gives it."""
    return service_key(gateway_assertion_secret().encode(), service)


class _OneKeySigner(AssertionSigner):
    """Signs every assertion with one given key, whatever its audience."""

    def __init__(self, key: str) -> None:
        super().__init__(b"")
        self._key = assertion_key(key)

    def key_for(self, service: str) -> bytes:
        return self._key


def assertion_made_with(key: str, caller: Caller, *, audience: str, method: str, path: str) -> str:
    """What holding `key` (a service's own, say) lets one make: an assertion in the gateway's
    form, for any audience, caller and request; the tests of ADR 9's bulkhead send it."""
    return _OneKeySigner(key).assertion(caller, audience=audience, method=method, path=path)


class TestServiceSettings(ServiceSettings):
    """Service settings that give whichever service uses them its own key from the test secret,
    so one settings object serves every service of a test (as `service_settings` does)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def assertion_key_for(self, service: str) -> str | None:
        return super().assertion_key_for(service) or assertion_key_for(service)


def assertion_for(caller: Caller, *, method: str, path: str, query: str = "") -> str:
    """A single-use assertion for one request, as the gateway would sign it."""
    audience = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    return _signer().assertion(caller, audience=audience, method=method, path=path, query=query)


def identity_headers(
    caller: Caller = ADMIN, *, method: str | None = None, path: str | None = None
) -> dict[str, str]:
    """Headers that make an in-process service see `caller`, as if the gateway sent it.

    With `method` and `path`, the assertion is bound to that one request and usable once, by any
    client. Without them it only names the caller: a `running_app` client (see GatewaySigning)
    binds it to whichever request carries it; a service refuses it as it is.
    """
    if method is not None and path is not None:
        return {IDENTITY_HEADER: assertion_for(caller, method=method, path=path)}
    naming = _naming_signer().assertion(caller, audience=UNBOUND, method="", path="")
    return {IDENTITY_HEADER: naming}


def _unbound_caller(token: str) -> Caller | None:
    """The caller named by an `identity_headers(caller)` assertion; None for anything else
    (a forged or foreign assertion is sent as it is, so tests of refusals stay honest)."""
    try:
        claims = jwt.decode(
            token, _signer().key_for(UNBOUND), algorithms=["HS256"], audience=UNBOUND
        )
    except jwt.PyJWTError:
        return None
    return Caller.from_claims(claims)


class GatewaySigning:
    """An httpx request hook that signs every request as the gateway would, for `caller`.

    A request that carries its own `identity_headers(other)` is signed for `other` instead;
    with `caller=None`, the other requests carry no identity. (A hook, not an `httpx.Auth`, so
    a request may still use `auth=` for its own credentials.)
    """

    def __init__(self, caller: Caller | None) -> None:
        self._caller = caller

    async def __call__(self, request: httpx.Request) -> None:
        caller = self._caller
        given = request.headers.get(IDENTITY_HEADER)
        if given is not None:
            named = _unbound_caller(given)
            if named is None:
                return
            caller = named
        if caller is not None:
            request.headers[IDENTITY_HEADER] = assertion_for(
                caller,
                method=request.method,
                path=request.url.path,
                query=request.url.query.decode("latin-1"),
            )
