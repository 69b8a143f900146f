"""A gateway key pair for tests, so in-process services can be called as a chosen caller.

Tests play the gateway: they sign identity assertions with this process's test key, and the
`service_settings` fixture gives services the matching public key.
"""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from bazaar_chassis.caller import IDENTITY_HEADER, AssertionSigner, Caller

ADMIN = Caller(
    subject="test-admin",
    kind="user",
    organization="bazaar",
    roles=("admin",),
    email="admin@bazaar.test",
)


@cache
def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@cache
def _signer() -> AssertionSigner:
    return AssertionSigner(_key(), ttl_seconds=3600)


def gateway_public_key_pem() -> str:
    return (
        _key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )


def gateway_private_key_pem() -> str:
    return _key().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def identity_headers(caller: Caller = ADMIN) -> dict[str, str]:
    """Headers that make an in-process service see `caller`, as if the gateway sent it."""
    return {IDENTITY_HEADER: _signer().assertion(caller)}
