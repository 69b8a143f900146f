"""Ed25519 signing keys: made, encrypted at rest with the key passphrase, published as JWKs.

The key id is the key's RFC 7638 JWK thumbprint, so it is derived from the key itself and the
same public key always has the same `kid`, whichever instance made it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bazaar_chassis import Conflict
from bazaar_identity.domain import KeyStatus, SigningKey

ALGORITHM = "EdDSA"


class ConcurrentRotation(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "another instance made a new signing key at the same moment; read the JWKS again"
        )


class UndecryptableKey(RuntimeError):
    """A stored signing key cannot be opened with the configured passphrase."""

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"signing key {kid} cannot be decrypted with BAZAAR_IDENTITY_KEY_PASSPHRASE; "
            "start identity with the passphrase its keys were made with"
        )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _x(public_key: Ed25519PublicKey) -> str:
    return _b64url(
        public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without blanks; base64url."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _x(public_key)}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, Any]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _x(public_key),
        "kid": thumbprint(public_key),
        "alg": ALGORITHM,
        "use": "sig",
    }


def new_signing_key(*, passphrase: str, now: datetime) -> tuple[SigningKey, Ed25519PrivateKey]:
    """A fresh active key (as stored: private part encrypted) and its usable private key."""
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key.public_key())
    stored = SigningKey(
        kid=jwk["kid"],
        private_pem=sealed_pem(private_key, passphrase=passphrase),
        public_jwk=jwk,
        status=KeyStatus.ACTIVE,
        created_at=now,
    )
    return stored, private_key


def sealed_pem(private_key: Ed25519PrivateKey, *, passphrase: str) -> str:
    """The private key as stored: PKCS#8 PEM, encrypted with the passphrase."""
    return private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode("ascii")


def open_private_key(key: SigningKey, *, passphrase: str) -> Ed25519PrivateKey:
    """Decrypt a stored key; UndecryptableKey if the passphrase is not the one it was made with."""
    try:
        private_key = serialization.load_pem_private_key(
            key.private_pem.encode("ascii"), password=passphrase.encode()
        )
    except (ValueError, TypeError) as exc:
        raise UndecryptableKey(key.kid) from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise UndecryptableKey(key.kid)
    return private_key
