"""Identity's tables and `IdentityStore`, their queries (SQLAlchemy Core): all of identity's SQL.

Rows map to the domain's entities by field name (`from_row`/`row_values`); the schema is made by
migrations/. The use cases see the store only as the `Identities` protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import case, func, select, text, update

from bazaar_chassis import UtcDateTime, dialect_insert, from_row, row_values, versioned
from bazaar_identity.domain import (
    DuplicateClient,
    DuplicateEmail,
    KeyStatus,
    Membership,
    Organization,
    ServiceClient,
    SigningKey,
    User,
)
from bazaar_identity.keys import ConcurrentRotation
from bazaar_identity.revocations import Revocation
from bazaar_identity.throttle import ThrottlePolicy, TooManyAttempts

CLAIM_TRIES = 5

metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("key", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    Column("organization", String(63), ForeignKey("organizations.key"), primary_key=True),
    Column("role", String(64), primary_key=True),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    *versioned(),
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("organization", String(63), ForeignKey("organizations.key"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("retiring_since", UtcDateTime, nullable=True),
    # At most one active key, even when two instances rotate at the same moment.
    Index(
        "signing_keys_one_active",
        "status",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(320), primary_key=True),  # account:<email> | address:<ip>
    Column("failures", Integer, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("jti", String(64), nullable=True),
    Column("subject", String(128), nullable=True),
    Column("not_before", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_by", String(128), nullable=False),
    Column("revoked_at", UtcDateTime, nullable=False),
    Index("revoked_tokens_expiry", "expires_at"),
)


def _signing_key(row: Row[Any]) -> SigningKey:
    return from_row(SigningKey, row, status=KeyStatus(row.status))


class IdentityStore:
    """Identity's tables on one connection: what its use cases read and write."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # ── organizations ──────────────────────────────────────────────────────────────────────

    async def ensure_organizations(self, wanted: Iterable[Organization]) -> None:
        """Create the organizations that do not exist yet; existing ones are left as they are."""
        rows = [row_values(o) for o in wanted]
        if rows:
            insert = dialect_insert(self.connection, organizations)
            await self.connection.execute(insert.values(rows).on_conflict_do_nothing())

    async def list_organizations(self) -> list[Organization]:
        rows = await self.connection.execute(select(organizations).order_by(organizations.c.key))
        return [from_row(Organization, r) for r in rows]

    async def organization_exists(self, key: str) -> bool:
        found = await self.connection.scalar(select(func.count()).where(organizations.c.key == key))
        return bool(found)

    # ── users and memberships ──────────────────────────────────────────────────────────────

    async def _user(self, row: Row[Any] | None) -> User | None:
        if row is None:
            return None
        held = await self.connection.execute(
            select(memberships.c.organization, memberships.c.role)
            .where(memberships.c.user_id == row.id)
            .order_by(memberships.c.organization, memberships.c.role)
        )
        return from_row(
            User, row, memberships=tuple(Membership(m.organization, m.role) for m in held)
        )

    async def get_user(self, user_id: str) -> User | None:
        row = (await self.connection.execute(select(users).where(users.c.id == user_id))).first()
        return await self._user(row)

    async def find_user_by_email(self, email: str) -> User | None:
        """`email` must already be in canonical (lower-case) form."""
        row = (await self.connection.execute(select(users).where(users.c.email == email))).first()
        return await self._user(row)

    async def existing_emails(self, emails: Sequence[str]) -> set[str]:
        rows = await self.connection.execute(select(users.c.email).where(users.c.email.in_(emails)))
        return {r.email for r in rows}

    async def insert_user(self, user: User) -> None:
        """Insert a user and its memberships; DuplicateEmail if the email is taken meanwhile.

        The failed INSERT spoils the transaction, which is fine: the error ends the unit of work.
        """
        values = row_values(user)
        del values["memberships"]
        try:
            await self.connection.execute(users.insert().values(values))
        except IntegrityError as exc:
            raise DuplicateEmail(user.email) from exc
        await self.connection.execute(
            memberships.insert(),
            [
                {"user_id": user.id, "organization": m.organization, "role": m.role}
                for m in user.memberships
            ],
        )

    async def has_member_with_role(self, role: str) -> bool:
        """True if any user holds `role` in any organization."""
        found = await self.connection.scalar(
            select(memberships.c.user_id).where(memberships.c.role == role)
        )
        return found is not None

    # ── service clients ────────────────────────────────────────────────────────────────────

    async def get_client(self, client_id: str) -> ServiceClient | None:
        row = (
            await self.connection.execute(select(clients).where(clients.c.client_id == client_id))
        ).first()
        return from_row(ServiceClient, row, roles=tuple(row.roles)) if row else None

    async def insert_client(self, client: ServiceClient) -> None:
        try:
            await self.connection.execute(clients.insert().values(_client_values(client)))
        except IntegrityError as exc:
            raise DuplicateClient(client.client_id) from exc

    async def upsert_client_secret(self, client: ServiceClient) -> None:
        """Create the client, or give an existing one this secret (its roles and org stay)."""
        insert = dialect_insert(self.connection, clients).values(_client_values(client))
        await self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[clients.c.client_id], set_={"secret_hash": client.secret_hash}
            )
        )

    # ── signing keys ───────────────────────────────────────────────────────────────────────

    async def unretired_keys(self) -> list[SigningKey]:
        """The active key, then the retiring ones, most recently demoted first."""
        active_first = case((signing_keys.c.status == KeyStatus.ACTIVE.value, 0), else_=1)
        rows = await self.connection.execute(
            select(signing_keys)
            .where(signing_keys.c.status != KeyStatus.RETIRED.value)
            .order_by(
                active_first,
                signing_keys.c.retiring_since.desc(),
                signing_keys.c.created_at.desc(),
                signing_keys.c.kid,
            )
        )
        return [_signing_key(r) for r in rows]

    async def active_key(self) -> SigningKey | None:
        active = signing_keys.c.status == KeyStatus.ACTIVE.value
        row = (await self.connection.execute(select(signing_keys).where(active))).first()
        return _signing_key(row) if row else None

    async def count_keys(self) -> int:
        """How many keys were ever made (keys are never deleted): the JWKS generation."""
        count = select(func.count()).select_from(signing_keys)
        return int(await self.connection.scalar(count) or 0)

    async def insert_key(self, key: SigningKey) -> None:
        """Store a new key; ConcurrentRotation if another instance activated one meanwhile."""
        try:
            await self.connection.execute(signing_keys.insert().values(row_values(key)))
        except IntegrityError as exc:
            raise ConcurrentRotation from exc

    async def update_key_states(self, changed: Iterable[SigningKey]) -> None:
        for key in changed:
            await self.connection.execute(
                signing_keys.update()
                .where(signing_keys.c.kid == key.kid)
                .values(status=key.status.value, retiring_since=key.retiring_since)
            )

    async def replace_private_pem(self, kid: str, private_pem: str) -> None:
        """Store a key's private part re-encrypted (a passphrase change)."""
        await self.connection.execute(
            update(signing_keys).where(signing_keys.c.kid == kid).values(private_pem=private_pem)
        )

    # ── password attempts (throttle.py says why) ───────────────────────────────────────────

    async def charge_attempt(self, key: str, policy: ThrottlePolicy, *, now: datetime) -> None:
        """Count one more attempt on `key`, or raise TooManyAttempts (and count nothing) if the
        key is blocked. Compare-and-set, so parallel attempts cannot slip past a block together."""
        for _ in range(CLAIM_TRIES):
            row = (
                await self.connection.execute(
                    select(login_throttle).where(login_throttle.c.key == key)
                )
            ).first()
            if row is not None and row.blocked_until is not None and row.blocked_until > now:
                raise TooManyAttempts((row.blocked_until - now).total_seconds())
            fresh = row is None or (now - row.updated_at).total_seconds() > policy.forgive_after
            failures = 1 if row is None or fresh else row.failures + 1
            wait = policy.delay(failures)
            values = {
                "failures": failures,
                "blocked_until": now + timedelta(seconds=wait) if wait else None,
                "updated_at": now,
            }
            if row is None:
                inserted = await self.connection.execute(
                    dialect_insert(self.connection, login_throttle)
                    .values(key=key, **values)
                    .on_conflict_do_nothing()
                )
                if inserted.rowcount == 1:
                    return
                continue  # another attempt created the row first: read it and try again
            claimed = await self.connection.execute(
                update(login_throttle)
                .where(login_throttle.c.key == key, login_throttle.c.updated_at == row.updated_at)
                .where(login_throttle.c.failures == row.failures)
                .values(**values)
            )
            if claimed.rowcount == 1:
                return
        raise TooManyAttempts(policy.first_delay)  # a crowd of attempts on one key: slow down

    async def clear_attempts(self, key: str) -> None:
        await self.connection.execute(login_throttle.delete().where(login_throttle.c.key == key))

    async def refund_attempt(self, key: str, policy: ThrottlePolicy) -> None:
        """Take back the charge of an attempt that succeeded; a block lifts only if that brings
        the count below the free attempts."""
        row = login_throttle.c
        await self.connection.execute(
            update(login_throttle)
            .where(row.key == key, row.failures > 0)
            .values(failures=row.failures - 1)
        )
        await self.connection.execute(
            update(login_throttle)
            .where(row.key == key, row.failures < policy.free_failures)
            .values(blocked_until=None)
        )

    async def forget_quiet_attempts(self, *, quiet_since: datetime, now: datetime) -> int:
        """Delete the counts of keys that are not blocked and have been quiet since then."""
        result = await self.connection.execute(
            login_throttle.delete().where(
                login_throttle.c.updated_at < quiet_since,
                login_throttle.c.blocked_until.is_(None) | (login_throttle.c.blocked_until < now),
            )
        )
        return int(result.rowcount or 0)

    # ── revocations ────────────────────────────────────────────────────────────────────────

    async def insert_revocation(self, revocation: Revocation, *, by: str, at: datetime) -> None:
        values = row_values(revocation) | {"revoked_by": by, "revoked_at": at}
        await self.connection.execute(revoked_tokens.insert().values(values))

    async def live_revocations(self, *, now: datetime) -> list[Revocation]:
        rows = await self.connection.execute(
            select(revoked_tokens)
            .where(revoked_tokens.c.expires_at > now)
            .order_by(revoked_tokens.c.revoked_at)
        )
        return [from_row(Revocation, r) for r in rows]

    async def forget_expired_revocations(self, *, now: datetime) -> int:
        result = await self.connection.execute(
            revoked_tokens.delete().where(revoked_tokens.c.expires_at <= now)
        )
        return int(result.rowcount or 0)


def _client_values(client: ServiceClient) -> dict[str, Any]:
    return row_values(client) | {"roles": list(client.roles)}
