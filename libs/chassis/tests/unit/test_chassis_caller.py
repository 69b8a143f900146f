"""Identity assertions: only the gateway's secret can make one, only for one request, and a
service's own key makes none that another service accepts."""

from __future__ import annotations

import secrets
import sys
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis import Caller, ConfigurationError, Unauthorized
from bazaar_chassis import caller as caller_module
from bazaar_chassis.caller import AssertionVerifier, assertion_key
from bazaar_chassis.kept import CHARACTERS as KEPT_QUERY_CHARACTERS
from bazaar_chassis.testing.identity import assertion_made_with
from bazaar_platform.assertions import AssertionSigner, claims_of, service_key

SECRET = secrets.token_urlsafe(32).encode()
PRODUCT_KEY = assertion_key(service_key(SECRET, "product"))
ALICE = Caller(
    subject="u1",
    kind="user",
    organization="public",
    roles=("customer",),
    email="alice@example.test",
    token_id="t1",
    token_expires=2_000_000_000,
)
REQUEST = {"method": "GET", "path": "/product/1/products/A"}


def verifier() -> AssertionVerifier:
    return AssertionVerifier(PRODUCT_KEY, audience="product")


def signed(signer: AssertionSigner | None = None, caller: Caller = ALICE) -> str:
    return (signer or AssertionSigner(SECRET)).assertion(caller, audience="product", **REQUEST)


def test_an_assertion_signed_by_the_gateway_names_the_caller_and_its_token() -> None:
    assert verifier().verify(signed(), **REQUEST) == ALICE


def test_every_assertion_is_new_even_for_the_same_caller_and_request() -> None:
    signer = AssertionSigner(SECRET)
    assert signed(signer) != signed(signer)


def test_an_assertion_is_a_standard_hs256_jwt_under_the_services_own_key() -> None:
    claims = jwt.decode(signed(), PRODUCT_KEY, algorithms=["HS256"], audience="product")
    assert claims["htm"] == "GET"
    assert claims["htp"] == "/product/1/products/A"
    assert claims["exp"] - claims["iat"] <= 10


def test_an_assertion_signed_by_any_other_secret_is_refused() -> None:
    forged = signed(AssertionSigner(secrets.token_urlsafe(32).encode()))
    with pytest.raises(Unauthorized, match="signature"):
        verifier().verify(forged, **REQUEST)


def test_each_service_has_its_own_key_from_the_one_secret() -> None:
    services = ["product", "identity", "cart", "order", "payment", "catalog"]
    keys = {service_key(SECRET, name) for name in services}
    assert len(keys) == len(services)
    assert service_key(SECRET, "product") == service_key(SECRET, "product")
    assert service_key(secrets.token_urlsafe(32).encode(), "product") not in keys


def test_a_services_own_key_makes_no_assertion_another_service_accepts() -> None:
    """A compromised cart holds cart's key: what it signs for identity fails identity's check,
    whatever it claims (ADR 9)."""
    identity = AssertionVerifier(
        assertion_key(service_key(SECRET, "identity")), audience="identity"
    )
    admin = Caller(subject="x", kind="user", organization="bazaar", roles=("admin",))
    forged = assertion_made_with(
        service_key(SECRET, "cart"),
        admin,
        audience="identity",
        method="POST",
        path="/identity/1/users",
    )
    with pytest.raises(Unauthorized, match="signature"):
        identity.verify(forged, method="POST", path="/identity/1/users")


def test_a_key_too_short_to_be_one_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        assertion_key("short")


def test_an_expired_assertion_is_refused() -> None:
    expired = AssertionSigner(SECRET, ttl_seconds=-5).assertion(
        ALICE, audience="product", **REQUEST
    )
    with pytest.raises(Unauthorized, match="expired"):
        verifier().verify(expired, **REQUEST)


def test_a_long_lived_assertion_is_refused_even_if_signed_by_the_gateway() -> None:
    long_lived = AssertionSigner(SECRET, ttl_seconds=3600).assertion(
        ALICE, audience="product", **REQUEST
    )
    with pytest.raises(Unauthorized, match="lifetime"):
        verifier().verify(long_lived, **REQUEST)


def test_an_assertion_is_accepted_once() -> None:
    check = verifier()
    token = signed()
    check.verify(token, **REQUEST)
    with pytest.raises(Unauthorized, match="replay"):
        check.verify(token, **REQUEST)


@pytest.mark.parametrize(
    ("audience", "method", "path", "query", "reason"),
    [
        ("identity", "GET", "/product/1/products/A", "", "not 'identity'"),
        ("product", "POST", "/product/1/products/A", "", "not POST"),
        ("product", "GET", "/product/1/products/B", "", "not GET /product/1/products/B"),
        ("product", "GET", "/product/1/products/A", "page=2", "query"),
    ],
)
def test_an_assertion_for_another_service_method_path_or_query_is_refused(
    audience: str, method: str, path: str, query: str, reason: str
) -> None:
    check = AssertionVerifier(PRODUCT_KEY, audience=audience)
    with pytest.raises(Unauthorized, match=reason):
        check.verify(signed(), method=method, path=path, query=query)


def test_the_query_binding_ignores_how_the_parameters_were_percent_encoded() -> None:
    token = AssertionSigner(SECRET).assertion(
        ALICE, audience="product", query="q=a b&tag=%C3%A9", **REQUEST
    )
    assert verifier().verify(token, query="q=a+b&tag=%c3%a9", **REQUEST) == ALICE


def test_a_long_query_is_bound_as_a_short_one_is_but_its_hash_is_not_kept() -> None:
    long_query = "q=" + "a" * KEPT_QUERY_CHARACTERS
    caller_module._kept_hash.forget()
    token = AssertionSigner(SECRET).assertion(
        ALICE, audience="product", query=long_query, **REQUEST
    )
    assert verifier().verify(token, query=long_query, **REQUEST) == ALICE
    with pytest.raises(Unauthorized, match="query"):
        verifier().verify(token, query=long_query + "b", **REQUEST)
    assert caller_module._kept_hash.count() == 0  # long queries hold nothing
    assert caller_module.query_hash("page=2") == caller_module.query_hash("page=2")
    assert caller_module._kept_hash.count() == 1


def test_a_user_token_is_not_an_assertion() -> None:
    token = jwt.encode(
        {**claims_of(ALICE), "iss": "bazaar-identity", "exp": int(time.time()) + 60},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
    )
    with pytest.raises(Unauthorized):
        verifier().verify(token, **REQUEST)


@pytest.mark.parametrize("token", [None, ""])
def test_no_assertion_means_the_request_did_not_come_through_the_gateway(
    token: str | None,
) -> None:
    with pytest.raises(Unauthorized, match="through the gateway"):
        verifier().verify(token, **REQUEST)


def test_an_instance_without_the_gateway_key_accepts_nothing() -> None:
    with pytest.raises(Unauthorized, match="BAZAAR_ASSERTION_KEY_FILE"):
        AssertionVerifier(None, audience="product").verify(signed(), **REQUEST)


def test_signing_and_checking_assertions_never_hand_the_gil_to_another_thread() -> None:
    """Every request signs and checks one. A call that releases the GIL lets any runnable
    thread (aiosqlite's, the span exporter's) run first, and the request waits for it: with the
    switch interval out of reach, a waiting thread runs only if this thread lets go."""
    signer, checker = AssertionSigner(SECRET), verifier()
    ran, stop = [0], threading.Event()

    def waiting_for_the_gil() -> None:
        while not stop.is_set():
            ran[0] += 1
            time.sleep(0)  # lets go of the GIL, then waits to get it back

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    thread = threading.Thread(target=waiting_for_the_gil)
    try:
        thread.start()
        deadline = time.monotonic() + 10
        while ran[0] < 2:  # it has let go and waited for the GIL at least once
            assert time.monotonic() < deadline, "the other thread never ran"
            time.sleep(0.001)  # lets it run
        before = ran[0]
        for _ in range(50):
            checker.verify(signed(signer), **REQUEST)
        after = ran[0]
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert after == before, f"the other thread ran {after - before} times during 50 requests"
