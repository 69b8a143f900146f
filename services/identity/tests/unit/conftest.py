"""An in-memory `Identities` store and the collaborators identity's use cases take, for unit tests.

The fake keeps the store's promises that the use cases rely on (one active key, a taken email
or client id refused, the throttle's back-off), over dicts; `FakeUnits` gives it transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from bazaar_chassis import Caller, Clock
from bazaar_chassis.testing import FakeUnits
from bazaar_identity.domain import (
    DuplicateClient,
    DuplicateEmail,
    KeyStatus,
    Organization,
    ServiceClient,
    SigningKey,
    User,
)
from bazaar_identity.keys import ConcurrentRotation
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.revocations import Revocation
from bazaar_identity.throttle import ThrottlePolicy, TooManyAttempts
from bazaar_identity.use_cases.signing import KeyRing

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = 900
ADMIN = Caller(subject="u-admin", kind="user", organization="bazaar", roles=("admin",))
SHOPPER = Caller(subject="u-shopper", kind="user", organization="public", roles=("customer",))
GATEWAY = Caller(
    subject="service:gateway", kind="service", organization="bazaar", roles=("service:gateway",)
)


@dataclass
class Attempts:
    failures: int
    blocked_until: datetime | None
    updated_at: datetime


class FakeIdentities:
    """The `Identities` protocol over dicts."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self.clients: dict[str, ServiceClient] = {}
        self.keys: dict[str, SigningKey] = {}
        self.attempts: dict[str, Attempts] = {}
        self.revocations: dict[str, tuple[Revocation, str, datetime]] = {}

    async def ensure_organizations(self, wanted: Iterable[Organization]) -> None:
        for organization in wanted:
            self.organizations.setdefault(organization.key, organization)

    async def list_organizations(self) -> list[Organization]:
        return [self.organizations[key] for key in sorted(self.organizations)]

    async def organization_exists(self, key: str) -> bool:
        return key in self.organizations

    async def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    async def find_user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email == email), None)

    async def existing_emails(self, emails: Sequence[str]) -> set[str]:
        return {u.email for u in self.users.values()} & set(emails)

    async def insert_user(self, user: User) -> None:
        if await self.find_user_by_email(user.email):
            raise DuplicateEmail(user.email)
        self.users[user.id] = user

    async def has_member_with_role(self, role: str) -> bool:
        return any(m.role == role for u in self.users.values() for m in u.memberships)

    async def get_client(self, client_id: str) -> ServiceClient | None:
        return self.clients.get(client_id)

    async def insert_client(self, client: ServiceClient) -> None:
        if client.client_id in self.clients:
            raise DuplicateClient(client.client_id)
        self.clients[client.client_id] = client

    async def upsert_client_secret(self, client: ServiceClient) -> None:
        self.clients[client.client_id] = client

    async def unretired_keys(self) -> list[SigningKey]:
        live = [k for k in self.keys.values() if k.status != KeyStatus.RETIRED]
        return sorted(live, key=lambda k: k.status != KeyStatus.ACTIVE)

    async def active_key(self) -> SigningKey | None:
        return next((k for k in self.keys.values() if k.status == KeyStatus.ACTIVE), None)

    async def count_keys(self) -> int:
        return len(self.keys)

    async def insert_key(self, key: SigningKey) -> None:
        if key.status == KeyStatus.ACTIVE and await self.active_key() is not None:
            raise ConcurrentRotation
        self.keys[key.kid] = key

    async def update_key_states(self, changed: Iterable[SigningKey]) -> None:
        for key in changed:
            self.keys[key.kid] = key

    async def replace_private_pem(self, kid: str, private_pem: str) -> None:
        old = self.keys[kid]
        self.keys[kid] = SigningKey(
            kid, private_pem, old.public_jwk, old.status, old.created_at, old.retiring_since
        )

    async def charge_attempt(self, key: str, policy: ThrottlePolicy, *, now: datetime) -> None:
        row = self.attempts.get(key)
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            raise TooManyAttempts((row.blocked_until - now).total_seconds())
        fresh = row is None or (now - row.updated_at).total_seconds() > policy.forgive_after
        failures = 1 if row is None or fresh else row.failures + 1
        wait = policy.delay(failures)
        blocked_until = now + timedelta(seconds=wait) if wait else None
        self.attempts[key] = Attempts(failures, blocked_until, now)

    async def clear_attempts(self, key: str) -> None:
        self.attempts.pop(key, None)

    async def refund_attempt(self, key: str, policy: ThrottlePolicy) -> None:
        row = self.attempts.get(key)
        if row is not None:
            row.failures = max(0, row.failures - 1)
            if row.failures < policy.free_failures:
                row.blocked_until = None

    async def forget_quiet_attempts(self, *, quiet_since: datetime, now: datetime) -> int:
        quiet = [
            key
            for key, row in self.attempts.items()
            if row.updated_at < quiet_since
            and (row.blocked_until is None or row.blocked_until < now)
        ]
        for key in quiet:
            del self.attempts[key]
        return len(quiet)

    async def insert_revocation(self, revocation: Revocation, *, by: str, at: datetime) -> None:
        self.revocations[revocation.id] = (revocation, by, at)

    async def live_revocations(self, *, now: datetime) -> list[Revocation]:
        held = sorted(self.revocations.values(), key=lambda held: held[2])
        return [r for r, _, _ in held if r.expires_at > now]

    async def forget_expired_revocations(self, *, now: datetime) -> int:
        expired = [i for i, (r, _, _) in self.revocations.items() if r.expires_at <= now]
        for revocation_id in expired:
            del self.revocations[revocation_id]
        return len(expired)


class CountingHasher(PasswordHasher):
    """A real, cheap argon2id hasher that counts its hashes and verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.hashes = 0
        self.verifications = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def units() -> FakeUnits[FakeIdentities]:
    return FakeUnits(FakeIdentities())


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def passwords(hasher: CountingHasher) -> PasswordHashing:
    return PasswordHashing(hasher)


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(passphrase=SecretStr("unit-test-passphrase"), token_ttl_seconds=TTL, issuer="t")


def clock_at(moment: datetime) -> Clock:
    return lambda: moment
