"""Token claims, their signature, their expiry, and the keys that sign them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bazaar_identity import keys, tokens
from bazaar_identity.domain import KeyStatus
from bazaar_identity.keys import UndecryptableKey
from bazaar_identity.tokens import Grant, TokenKind

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
USER = Grant(
    subject="0190-user",
    kind=TokenKind.USER,
    organization="bazaar",
    roles=("admin", "marketing"),
    email="admin@bazaar.test",
)
SERVICE = Grant(
    subject="service:cart", kind=TokenKind.SERVICE, organization="bazaar", roles=("service:cart",)
)


def test_a_user_token_says_who_which_organization_and_which_roles() -> None:
    body = tokens.claims(USER, issuer="bazaar-identity", now=NOW, ttl_seconds=900, jti="j1")
    assert body == {
        "iss": "bazaar-identity",
        "sub": "0190-user",
        "kind": "user",
        "email": "admin@bazaar.test",
        "org": "bazaar",
        "roles": ["admin", "marketing"],
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": "j1",
    }


def test_a_service_token_has_no_email_and_the_service_subject() -> None:
    body = tokens.claims(SERVICE, issuer="bazaar-identity", now=NOW, ttl_seconds=900)
    assert "email" not in body
    assert (body["sub"], body["kind"], body["roles"]) == (
        "service:cart",
        "service",
        ["service:cart"],
    )


def test_every_token_gets_its_own_id() -> None:
    ids = {tokens.claims(USER, issuer="i", now=NOW, ttl_seconds=60)["jti"] for _ in range(50)}
    assert len(ids) == 50


def test_a_signed_token_verifies_with_the_public_key_and_names_its_key() -> None:
    stored, private_key = keys.new_signing_key(passphrase="p" * 12, now=NOW)
    issued = tokens.issue(
        USER,
        issuer="bazaar-identity",
        now=datetime.now(UTC),
        ttl_seconds=900,
        kid=stored.kid,
        private_key=private_key,
    )
    assert issued.expires_in == 900
    assert issued.token_type == "Bearer"
    assert jwt.get_unverified_header(issued.access_token) == {
        "alg": "EdDSA",
        "kid": stored.kid,
        "typ": "JWT",
    }
    body = jwt.decode(
        issued.access_token,
        private_key.public_key(),
        algorithms=["EdDSA"],
        issuer="bazaar-identity",
    )
    assert body["roles"] == ["admin", "marketing"]


def test_a_token_past_its_expiry_is_refused() -> None:
    _stored, private_key = keys.new_signing_key(passphrase="p" * 12, now=NOW)
    issued = tokens.issue(
        USER,
        issuer="bazaar-identity",
        now=datetime.now(UTC) - timedelta(seconds=901),
        ttl_seconds=900,
        kid="k",
        private_key=private_key,
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(issued.access_token, private_key.public_key(), algorithms=["EdDSA"])


def test_the_key_id_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of the Ed25519 example key.
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "="))
    assert keys.thumbprint(public_key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert keys.public_jwk(public_key) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "alg": "EdDSA",
        "use": "sig",
    }


def test_a_new_key_is_active_and_stored_encrypted() -> None:
    stored, private_key = keys.new_signing_key(passphrase="right passphrase", now=NOW)
    assert stored.status == KeyStatus.ACTIVE
    assert stored.private_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    opened = keys.open_private_key(stored, passphrase="right passphrase")
    assert opened.public_key() == private_key.public_key()


def test_a_stored_key_does_not_open_with_another_passphrase() -> None:
    stored, _private_key = keys.new_signing_key(passphrase="right passphrase", now=NOW)
    with pytest.raises(UndecryptableKey, match="BAZAAR_IDENTITY_KEY_PASSPHRASE"):
        keys.open_private_key(stored, passphrase="wrong passphrase")
