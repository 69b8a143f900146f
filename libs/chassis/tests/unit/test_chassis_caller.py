"""Identity assertions: only the gateway's key can make one a service accepts."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bazaar_chassis import Caller, Unauthorized
from bazaar_chassis.caller import ASSERTION_AUDIENCE, GUEST, AssertionSigner, AssertionVerifier

KEY = Ed25519PrivateKey.generate()
ALICE = Caller(
    subject="u1",
    kind="user",
    organization="public",
    roles=("customer",),
    email="alice@example.test",
)


def test_an_assertion_signed_by_the_gateway_names_the_caller() -> None:
    token = AssertionSigner(KEY).assertion(ALICE)
    assert AssertionVerifier(KEY.public_key()).verify(token) == ALICE


def test_the_same_caller_reuses_its_assertion_while_it_is_fresh() -> None:
    signer = AssertionSigner(KEY)
    assert signer.assertion(GUEST) == signer.assertion(GUEST)


def test_an_assertion_signed_by_any_other_key_is_refused() -> None:
    forged = AssertionSigner(Ed25519PrivateKey.generate()).assertion(ALICE)
    with pytest.raises(Unauthorized, match="rejected"):
        AssertionVerifier(KEY.public_key()).verify(forged)


def test_an_expired_assertion_is_refused() -> None:
    now = int(time.time())
    expired = jwt.encode(
        {
            **ALICE.claims(),
            "iss": "bazaar-gateway",
            "aud": ASSERTION_AUDIENCE,
            "iat": now - 120,
            "exp": now - 60,
        },
        KEY,
        algorithm="EdDSA",
    )
    with pytest.raises(Unauthorized, match="expired"):
        AssertionVerifier(KEY.public_key()).verify(expired)


def test_a_user_token_for_another_audience_is_not_an_assertion() -> None:
    token = jwt.encode(
        {**ALICE.claims(), "iss": "bazaar-identity", "exp": int(time.time()) + 60},
        KEY,
        algorithm="EdDSA",
    )
    with pytest.raises(Unauthorized):
        AssertionVerifier(KEY.public_key()).verify(token)


@pytest.mark.parametrize("token", [None, ""])
def test_no_assertion_means_the_request_did_not_come_through_the_gateway(
    token: str | None,
) -> None:
    with pytest.raises(Unauthorized, match="through the gateway"):
        AssertionVerifier(KEY.public_key()).verify(token)


def test_an_instance_without_the_gateway_key_accepts_nothing() -> None:
    with pytest.raises(Unauthorized, match="BAZAAR_GATEWAY_PUBLIC_KEY_FILE"):
        AssertionVerifier(None).verify(AssertionSigner(KEY).assertion(ALICE))
