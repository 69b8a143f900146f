"""Service clients: their secrets (random, stored as SHA-256) and the operator's clients file.

A generated secret has 32 random bytes, so a fast hash is enough to make a stolen table useless;
comparison is constant-time. The clients file is a JSON object `{"<client_id>": "<secret>"}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Literal

from bazaar_chassis import DEMO_SECRET, ConfigurationError
from bazaar_identity.domain import InvalidClientId, ServiceClient, check_client_id
from bazaar_identity.settings import InsecureConfiguration

MIN_PRODUCTION_SECRET_LENGTH = 16

_UNKNOWN_CLIENT_HASH = hashlib.sha256(b"no such client").hexdigest()


class ClientsFileInvalid(ConfigurationError):
    """The service clients file cannot be used; the message says how to fix it."""


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: ServiceClient | None, secret: str) -> bool:
    """Whether `secret` is the client's; an unknown client costs the same comparison."""
    stored = client.secret_hash if client is not None else _UNKNOWN_CLIENT_HASH
    return hmac.compare_digest(stored, hash_secret(secret)) and client is not None


def load_clients_file(path: Path) -> dict[str, str]:
    """The `{client_id: secret}` entries of the file at `path`."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientsFileInvalid(
            f"BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE {path} cannot be read: {exc.strerror}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ClientsFileInvalid(
            f"BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE {path} is not valid JSON: {exc}"
        ) from exc
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in loaded.items()
    ):
        raise ClientsFileInvalid(
            f"BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE {path} must be a JSON object "
            '{"<client_id>": "<non-empty secret>", ...}'
        )
    for client_id in loaded:
        try:
            check_client_id(client_id)
        except InvalidClientId as exc:
            raise ClientsFileInvalid(f"BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE {path}: {exc}") from exc
    return loaded


def refuse_insecure_secrets(
    client_secrets: dict[str, str], *, mode: Literal["development", "production"]
) -> None:
    """In production, no service client may use the demo secret or a short, guessable one."""
    if mode != "production":
        return
    for client_id, secret in sorted(client_secrets.items()):
        if secret == DEMO_SECRET or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise InsecureConfiguration(
                f"service client {client_id!r} in BAZAAR_IDENTITY_SERVICE_CLIENTS_FILE has the "
                f"demo secret or one shorter than {MIN_PRODUCTION_SECRET_LENGTH} characters; "
                "give it a long random secret in production mode"
            )
