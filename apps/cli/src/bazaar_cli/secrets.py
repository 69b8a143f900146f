"""The platform's secrets for the embedded default, created once in `<data dir>/secrets` (0600).

- the gateway's assertion secret, and each service's assertion key derived from it (ADR 9: a
  service gets only its own, the gateway the secret);
- one OAuth2 client secret per service (identity gets them all as its clients file);
- one NATS password per service, the gateway and the operator (see `nats_permissions.py`);
- identity's signing-key passphrase, the gateway's operations token (readiness details and
  metrics for probes) and identity's one-time bootstrap token (the first admin, production).
- the test payment provider's API key and webhook secret (payment holds both).

Random, never the demo values, and kept across restarts so that tokens and data stay valid.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bazaar_platform.assertions import service_key

# Every service the policy knows, running or not yet: their credentials exist up front, so a
# service added later needs no change here (and the bulkhead tests can use e.g. cart's).
SERVICE_NAMES = (
    "identity",
    "product",
    "category",
    "pricing",
    "inventory",
    "catalog",
    "search",
    "promotion",
    "cart",
    "order",
    "payment",
    "customer",
    "notification",
    "console",
)

# What identity used before this data dir had a passphrase of its own: public, so keys made with
# it are re-encrypted under the generated passphrase on the next start (never used for new keys).
LEGACY_KEY_PASSPHRASE = "bazaar-demo-key-passphrase"  # noqa: S105


@dataclass(frozen=True)
class PlatformSecrets:
    directory: Path
    assertion_secret_file: Path  # the gateway's
    assertion_secret: str  # its content, read once per start
    clients_file: Path
    client_secrets: dict[str, str]
    nats_passwords: dict[str, str]  # NATS user -> password
    postgres_passwords: dict[str, str]  # service -> its database role's password
    identity_key_passphrase: str
    # Set only for a data dir whose identity keys were made before the passphrase was generated
    # here: identity re-encrypts them under the new one on its next start.
    identity_previous_key_passphrase: str | None
    operations_token: str
    bootstrap_token: str
    payment_provider: dict[str, str]  # api_key and webhook_secret, shared by payment and provider

    def assertion_key_file(self, service: str) -> Path:
        """`service`'s own assertion key (0600), derived from the secret this start read (so a
        replaced secret gives every service its new key on the next start, with the gateway)."""
        path = self.directory / "assertion-keys" / f"{service}.key"
        key = service_key(self.assertion_secret.encode(), service) + "\n"
        if not path.exists() or path.read_text() != key:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            _write_private(path, key)
        return path


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    os.chmod(path, 0o600)


def _load_or_create_token(path: Path) -> str:
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def _load_or_create_json(path: Path, names: list[str]) -> dict[str, str]:
    existing: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in names if n not in existing]
    if missing:
        existing.update({n: secrets.token_urlsafe(32) for n in missing})
        _write_private(path, json.dumps(existing, indent=2))
    return existing


def ensure_secrets(data_dir: Path) -> PlatformSecrets:
    directory = data_dir / "secrets"
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    assertion_secret_file = directory / "gateway-assertion-secret"
    clients_file = directory / "service-clients.json"
    client_secrets = _load_or_create_json(clients_file, list(SERVICE_NAMES))
    nats_passwords = _load_or_create_json(
        directory / "nats-users.json", [*SERVICE_NAMES, "gateway", "operator"]
    )
    postgres_passwords = _load_or_create_json(
        directory / "postgres-roles.json", list(SERVICE_NAMES)
    )
    passphrase_file = directory / "identity-key-passphrase"
    legacy = not passphrase_file.exists() and (data_dir / "identity.db").exists()
    previous_file = directory / "identity-previous-key-passphrase"
    if legacy:
        _write_private(previous_file, LEGACY_KEY_PASSPHRASE + "\n")
    return PlatformSecrets(
        directory=directory,
        assertion_secret_file=assertion_secret_file,
        assertion_secret=_load_or_create_token(assertion_secret_file),
        clients_file=clients_file,
        client_secrets=client_secrets,
        nats_passwords=nats_passwords,
        postgres_passwords=postgres_passwords,
        identity_key_passphrase=_load_or_create_token(passphrase_file),
        identity_previous_key_passphrase=(
            previous_file.read_text().strip() if previous_file.exists() else None
        ),
        operations_token=_load_or_create_token(directory / "gateway-operations-token"),
        bootstrap_token=_load_or_create_token(directory / "identity-bootstrap-token"),
        payment_provider=_load_or_create_json(
            directory / "payment-provider.json", ["api_key", "webhook_secret"]
        ),
    )
