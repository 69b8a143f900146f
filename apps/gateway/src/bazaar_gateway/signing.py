"""The gateway's Ed25519 signing key, from PEM."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bazaar_chassis.errors import ConfigurationError


def load_private_key(pem: str) -> Ed25519PrivateKey:
    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("the gateway key must be an Ed25519 private key (PEM, PKCS8)")
    return key
