"""Identity assertions: only the gateway's key can make one, and only for one request."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis import Caller, Unauthorized
from bazaar_chassis.caller import AssertionVerifier
from bazaar_platform.assertions import AssertionSigner, claims_of

KEY = Ed25519PrivateKey.generate()
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
    return AssertionVerifier(KEY.public_key(), audience="product")


def signed(signer: AssertionSigner | None = None, caller: Caller = ALICE) -> str:
    return (signer or AssertionSigner(KEY)).assertion(caller, audience="product", **REQUEST)


def test_an_assertion_signed_by_the_gateway_names_the_caller_and_its_token() -> None:
    assert verifier().verify(signed(), **REQUEST) == ALICE


def test_every_assertion_is_new_even_for_the_same_caller_and_request() -> None:
    signer = AssertionSigner(KEY)
    assert signed(signer) != signed(signer)


def test_an_assertion_is_a_standard_eddsa_jwt() -> None:
    claims = jwt.decode(signed(), KEY.public_key(), algorithms=["EdDSA"], audience="product")
    assert claims["htm"] == "GET"
    assert claims["htp"] == "/product/1/products/A"
    assert claims["exp"] - claims["iat"] <= 10


def test_an_assertion_signed_by_any_other_key_is_refused() -> None:
    forged = signed(AssertionSigner(Ed25519PrivateKey.generate()))
    with pytest.raises(Unauthorized, match="signature"):
        verifier().verify(forged, **REQUEST)


def test_an_expired_assertion_is_refused() -> None:
    expired = AssertionSigner(KEY, ttl_seconds=-5).assertion(ALICE, audience="product", **REQUEST)
    with pytest.raises(Unauthorized, match="expired"):
        verifier().verify(expired, **REQUEST)


def test_a_long_lived_assertion_is_refused_even_if_signed_by_the_gateway() -> None:
    long_lived = AssertionSigner(KEY, ttl_seconds=3600).assertion(
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
    check = AssertionVerifier(KEY.public_key(), audience=audience)
    with pytest.raises(Unauthorized, match=reason):
        check.verify(signed(), method=method, path=path, query=query)


def test_the_query_binding_ignores_how_the_parameters_were_percent_encoded() -> None:
    token = AssertionSigner(KEY).assertion(
        ALICE, audience="product", query="q=a b&tag=%C3%A9", **REQUEST
    )
    assert verifier().verify(token, query="q=a+b&tag=%c3%a9", **REQUEST) == ALICE


def test_a_user_token_is_not_an_assertion() -> None:
    token = jwt.encode(
        {**claims_of(ALICE), "iss": "bazaar-identity", "exp": int(time.time()) + 60},
        KEY,
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
    with pytest.raises(Unauthorized, match="BAZAAR_GATEWAY_PUBLIC_KEY_FILE"):
        AssertionVerifier(None, audience="product").verify(signed(), **REQUEST)
