"""Identity's tables and their queries (SQLAlchemy Core); the schema is in migrations/."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis import UtcDateTime, dialect_insert
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

metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("key", String(63), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    Column("organization", String(63), ForeignKey("organizations.key"), primary_key=True),
    Column("role", String(64), primary_key=True),
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


# ── organizations ──────────────────────────────────────────────────────────────────────────


async def ensure_organizations(connection: AsyncConnection, wanted: Iterable[Organization]) -> None:
    """Create the organizations that do not exist yet; existing ones are left as they are."""
    rows = [{"key": o.key, "name": o.name, "created_at": o.created_at} for o in wanted]
    if rows:
        insert = dialect_insert(connection, organizations)
        await connection.execute(insert.values(rows).on_conflict_do_nothing())


async def list_organizations(connection: AsyncConnection) -> list[Organization]:
    rows = await connection.execute(select(organizations).order_by(organizations.c.key))
    return [Organization(key=r.key, name=r.name, created_at=r.created_at) for r in rows]


async def organization_exists(connection: AsyncConnection, key: str) -> bool:
    return bool(await connection.scalar(select(func.count()).where(organizations.c.key == key)))


# ── users and memberships ──────────────────────────────────────────────────────────────────


async def _user(connection: AsyncConnection, row: Row[Any] | None) -> User | None:
    if row is None:
        return None
    held = await connection.execute(
        select(memberships.c.organization, memberships.c.role)
        .where(memberships.c.user_id == row.id)
        .order_by(memberships.c.organization, memberships.c.role)
    )
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        memberships=tuple(Membership(m.organization, m.role) for m in held),
    )


async def get_user(connection: AsyncConnection, user_id: str) -> User | None:
    row = (await connection.execute(select(users).where(users.c.id == user_id))).first()
    return await _user(connection, row)


async def find_user_by_email(connection: AsyncConnection, email: str) -> User | None:
    """`email` must already be in canonical (lower-case) form."""
    row = (await connection.execute(select(users).where(users.c.email == email))).first()
    return await _user(connection, row)


async def existing_emails(connection: AsyncConnection, emails: Sequence[str]) -> set[str]:
    rows = await connection.execute(select(users.c.email).where(users.c.email.in_(emails)))
    return {r.email for r in rows}


async def insert_user(connection: AsyncConnection, user: User) -> None:
    """Insert a user and its memberships; DuplicateEmail if the email is taken meanwhile.

    The failed INSERT spoils the transaction, which is fine: the error ends the unit of work.
    """
    try:
        await connection.execute(
            users.insert().values(
                id=user.id,
                email=user.email,
                name=user.name,
                password_hash=user.password_hash,
                version=user.version,
                created_at=user.created_at,
                updated_at=user.updated_at,
            )
        )
    except IntegrityError as exc:
        raise DuplicateEmail(user.email) from exc
    await connection.execute(
        memberships.insert(),
        [
            {"user_id": user.id, "organization": m.organization, "role": m.role}
            for m in user.memberships
        ],
    )


# ── service clients ────────────────────────────────────────────────────────────────────────


async def get_client(connection: AsyncConnection, client_id: str) -> ServiceClient | None:
    row = (
        await connection.execute(select(clients).where(clients.c.client_id == client_id))
    ).first()
    if row is None:
        return None
    return ServiceClient(
        client_id=row.client_id,
        secret_hash=row.secret_hash,
        roles=tuple(row.roles),
        organization=row.organization,
        created_at=row.created_at,
    )


def _client_values(client: ServiceClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "secret_hash": client.secret_hash,
        "roles": list(client.roles),
        "organization": client.organization,
        "created_at": client.created_at,
    }


async def insert_client(connection: AsyncConnection, client: ServiceClient) -> None:
    try:
        await connection.execute(clients.insert().values(_client_values(client)))
    except IntegrityError as exc:
        raise DuplicateClient(client.client_id) from exc


async def upsert_client_secret(connection: AsyncConnection, client: ServiceClient) -> None:
    """Create the client, or give an existing one this secret (its roles and org stay)."""
    insert = dialect_insert(connection, clients).values(_client_values(client))
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=[clients.c.client_id], set_={"secret_hash": client.secret_hash}
        )
    )


# ── signing keys ───────────────────────────────────────────────────────────────────────────


def _signing_key(row: Row[Any]) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        private_pem=row.private_pem,
        public_jwk=row.public_jwk,
        status=KeyStatus(row.status),
        created_at=row.created_at,
        retiring_since=row.retiring_since,
    )


async def unretired_keys(connection: AsyncConnection) -> list[SigningKey]:
    """The active key, then the retiring ones, most recently demoted first."""
    active_first = case((signing_keys.c.status == KeyStatus.ACTIVE.value, 0), else_=1)
    rows = await connection.execute(
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


async def active_key(connection: AsyncConnection) -> SigningKey | None:
    row = (
        await connection.execute(
            select(signing_keys).where(signing_keys.c.status == KeyStatus.ACTIVE.value)
        )
    ).first()
    return _signing_key(row) if row else None


async def count_keys(connection: AsyncConnection) -> int:
    """How many keys were ever made (keys are never deleted): the JWKS generation."""
    return int(await connection.scalar(select(func.count()).select_from(signing_keys)) or 0)


async def insert_key(connection: AsyncConnection, key: SigningKey) -> None:
    await connection.execute(
        signing_keys.insert().values(
            kid=key.kid,
            private_pem=key.private_pem,
            public_jwk=key.public_jwk,
            status=key.status.value,
            created_at=key.created_at,
            retiring_since=key.retiring_since,
        )
    )


async def update_key_states(connection: AsyncConnection, changed: Iterable[SigningKey]) -> None:
    for key in changed:
        await connection.execute(
            signing_keys.update()
            .where(signing_keys.c.kid == key.kid)
            .values(status=key.status.value, retiring_since=key.retiring_since)
        )


async def replace_private_pem(connection: AsyncConnection, kid: str, private_pem: str) -> None:
    """Store a key's private part re-encrypted (a passphrase change)."""
    await connection.execute(
        update(signing_keys).where(signing_keys.c.kid == kid).values(private_pem=private_pem)
    )


async def has_member_with_role(connection: AsyncConnection, role: str) -> bool:
    """True if any user holds `role` in any organization."""
    found = await connection.scalar(select(memberships.c.user_id).where(memberships.c.role == role))
    return found is not None
