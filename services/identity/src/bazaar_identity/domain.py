"""Users, organizations, memberships, service clients and signing keys, with their rules. No I/O.

A user belongs to organizations through memberships (one row per role held there); a token is
always about ONE organization, so the roles it carries are the user's roles in that organization.
Signing keys move  active ──rotate──► retiring ──(token TTL + grace)──► retired  and are published
in the JWKS while active or retiring, so a rotation never invalidates a token still in use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from bazaar_chassis import Conflict, DomainError, Forbidden, InvalidInput, NotFound, Unauthorized

PLATFORM_ORGANIZATION = "bazaar"  # the operator's organization; service clients live here
PUBLIC_ORGANIZATION = "public"  # shoppers and guests
PLATFORM_ORGANIZATIONS = {PLATFORM_ORGANIZATION: "Bazaar", PUBLIC_ORGANIZATION: "Public"}
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow; do not let a caller make it slower
SERVICE_ROLE_PREFIX = "service:"
RETIREMENT_GRACE_SECONDS = 60  # clock skew and in-flight requests on top of the token lifetime

_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f]{1,64}@"
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
# `_EMAIL` for what a client sends (any case, blanks around it: `normalize_email`); the
# domain's 253-character limit follows from the schema's `maxLength` of 254.
EMAIL_SCHEMA_PATTERN = (
    r"^\s*[^@\s\x00-\x1f]{1,64}@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"(?:[a-zA-Z]{2,63}|[xX][nN]--[a-zA-Z0-9-]{1,59})\s*$"
)
ORGANIZATION_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
ROLE_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"  # client ids too
_ORGANIZATION_KEY = re.compile(ORGANIZATION_PATTERN)
_ROLE = re.compile(ROLE_PATTERN)
_CLIENT_ID = re.compile(ROLE_PATTERN)


# ── errors the API shows ────────────────────────────────────────────────────────────────────


class InvalidEmail(InvalidInput):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email!r} is not a valid email address (like name@example.com)")


class WeakPassword(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the password is not acceptable: {reason}")


class InvalidRole(InvalidInput):
    def __init__(self, role: str, reason: str) -> None:
        super().__init__(f"role {role!r} is invalid: {reason}")


class NoRoles(InvalidInput):
    def __init__(self, who: str) -> None:
        super().__init__(f"{who} needs at least one role")


class InvalidName(InvalidInput):
    pass


class UnknownOrganization(InvalidInput):
    def __init__(self, key: str) -> None:
        super().__init__(f"no organization {key!r}; see GET /organizations for the known ones")


class DuplicateEmail(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email!r} already exists")


class UserNotFound(NotFound):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"no user with id {user_id!r}")


class NotYourAccount(Forbidden):
    def __init__(self) -> None:
        super().__init__("you may read only your own account")


class InvalidClientId(InvalidInput):
    def __init__(self, client_id: str) -> None:
        super().__init__(
            f"client id {client_id!r} is invalid: use 1-64 lower-case letters, digits, '_' or "
            "'-', starting with a letter (the service's name)"
        )


class DuplicateClient(Conflict):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"a service client {client_id!r} already exists")


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenRequestRejected(DomainError):
    """A refused token request; `error` is its OAuth2 error code (RFC 6749 §5.2), added to the
    problem so OAuth2 clients understand it too."""

    error: ClassVar[str] = "invalid_request"
    challenge: ClassVar[str | None] = None  # a WWW-Authenticate value, for invalid clients

    def __init__(self, detail: str) -> None:
        headers = dict(NO_STORE)
        if self.challenge:
            headers["WWW-Authenticate"] = self.challenge
        super().__init__(detail, extra={"error": self.error}, headers=headers)


class InvalidRequest(TokenRequestRejected):
    title = "Invalid token request"


class UnsupportedGrantType(TokenRequestRejected):
    title = "Unsupported grant type"
    error = "unsupported_grant_type"

    def __init__(self, grant_type: str) -> None:
        super().__init__(
            f"grant_type {grant_type!r} is not supported; use 'password' or 'client_credentials'"
        )


class InvalidGrant(TokenRequestRejected, Unauthorized):
    """Wrong password or unknown user: one message for both, so emails cannot be probed."""

    title = "Invalid credentials"
    error = "invalid_grant"

    def __init__(self) -> None:
        super().__init__("wrong email or password")


class InvalidClient(TokenRequestRejected, Unauthorized):
    title = "Invalid client"
    error = "invalid_client"
    challenge = 'Basic realm="bazaar-identity"'

    def __init__(self) -> None:
        super().__init__("unknown client or wrong client secret")


class NotAMember(TokenRequestRejected, Forbidden):
    title = "Not a member"
    error = "invalid_scope"

    def __init__(self, organization: str | None) -> None:
        super().__init__(
            f"you are not a member of organization {organization!r}"
            if organization
            else "you are not a member of any organization"
        )


# ── organizations, users, memberships ──────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Organization:
    key: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True, order=True)
class Membership:
    organization: str
    role: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    password_hash: str
    version: int
    created_at: datetime
    updated_at: datetime
    memberships: tuple[Membership, ...]


@dataclass(frozen=True, slots=True)
class Registration:
    """A checked request to create a user, before its password is hashed."""

    email: str
    name: str
    organization: str
    roles: tuple[str, ...]


def normalize_email(email: str) -> str:
    """The canonical (trimmed, lower-case) form of an email address, or InvalidEmail."""
    canonical = email.strip().lower()
    if len(canonical) > 254 or not _EMAIL.match(canonical):
        raise InvalidEmail(email)
    return canonical


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"it needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"it may have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("it cannot be only blanks")


def check_organization_key(key: str) -> str:
    if not _ORGANIZATION_KEY.fullmatch(key):
        raise UnknownOrganization(key)
    return key


def check_user_role(role: str) -> str:
    """A role a person may hold; `service:*` roles belong to service clients only."""
    if role.startswith(SERVICE_ROLE_PREFIX):
        raise InvalidRole(role, f"'{SERVICE_ROLE_PREFIX}' roles are reserved for service clients")
    if not _ROLE.fullmatch(role):
        raise InvalidRole(role, "use 1-64 lower-case letters, digits, '_' or '-'")
    return role


def register(
    *, email: str, password: str, name: str, organization: str, roles: Iterable[str]
) -> Registration:
    """Check everything about a new user that needs no database; the password is not kept."""
    check_password(password)
    clean_name = name.strip()
    if not 1 <= len(clean_name) <= 200:
        raise InvalidName("a name needs 1-200 characters")
    checked_roles = tuple(sorted({check_user_role(r) for r in roles}))
    if not checked_roles:
        raise NoRoles("a user")
    return Registration(
        email=normalize_email(email),
        name=clean_name,
        organization=check_organization_key(organization),
        roles=checked_roles,
    )


def new_user(registration: Registration, *, id: str, password_hash: str, now: datetime) -> User:
    return User(
        id=id,
        email=registration.email,
        name=registration.name,
        password_hash=password_hash,
        version=1,
        created_at=now,
        updated_at=now,
        memberships=tuple(Membership(registration.organization, r) for r in registration.roles),
    )


def choose_organization(
    memberships: Iterable[Membership], requested: str | None
) -> tuple[str, list[str]]:
    """The organization a token is for and the roles held there.

    The requested one if the user is a member, else NotAMember; without a request, the first of
    the user's organizations by key (stable, so the same login always gets the same token).
    """
    roles_by_organization: dict[str, set[str]] = {}
    for membership in memberships:
        roles_by_organization.setdefault(membership.organization, set()).add(membership.role)
    if requested is not None:
        if requested not in roles_by_organization:
            raise NotAMember(requested)
        return requested, sorted(roles_by_organization[requested])
    if not roles_by_organization:
        raise NotAMember(None)
    first = min(roles_by_organization)
    return first, sorted(roles_by_organization[first])


# ── service clients ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ServiceClient:
    """A service that gets tokens with client credentials; its subject is `service:<id>`."""

    client_id: str
    secret_hash: str
    roles: tuple[str, ...]
    organization: str
    created_at: datetime

    @property
    def subject(self) -> str:
        return f"{SERVICE_ROLE_PREFIX}{self.client_id}"


def check_client_id(client_id: str) -> str:
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidClientId(client_id)
    return client_id


def new_service_client(
    *,
    client_id: str,
    secret_hash: str,
    now: datetime,
    organization: str | None = None,
    roles: Sequence[str] | None = None,
) -> ServiceClient:
    """A client in the platform organization with role `service:<id>` unless told otherwise."""
    check_client_id(client_id)
    chosen_roles = [f"{SERVICE_ROLE_PREFIX}{client_id}"] if roles is None else list(roles)
    for role in chosen_roles:
        name = role.removeprefix(SERVICE_ROLE_PREFIX)
        if not _ROLE.fullmatch(name):
            raise InvalidRole(role, "use 1-64 lower-case letters, digits, '_' or '-'")
    if not chosen_roles:
        raise NoRoles("a service client")
    return ServiceClient(
        client_id=client_id,
        secret_hash=secret_hash,
        roles=tuple(sorted(set(chosen_roles))),
        organization=check_organization_key(organization or PLATFORM_ORGANIZATION),
        created_at=now,
    )


# ── signing keys ───────────────────────────────────────────────────────────────────────────


class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs new tokens; exactly one at a time
    RETIRING = "retiring"  # signs nothing, still published: its tokens are still valid
    RETIRED = "retired"  # every token it signed has expired; no longer published


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_pem: str  # encrypted with the key passphrase
    public_jwk: dict[str, Any]
    status: KeyStatus
    created_at: datetime
    retiring_since: datetime | None = None


def retirement_due(key: SigningKey, *, token_ttl_seconds: int) -> datetime | None:
    """When a retiring key can leave the JWKS: after the last token it signed has expired."""
    if key.status != KeyStatus.RETIRING or key.retiring_since is None:
        return None
    return key.retiring_since + timedelta(seconds=token_ttl_seconds + RETIREMENT_GRACE_SECONDS)


def is_published(key: SigningKey, *, now: datetime, token_ttl_seconds: int) -> bool:
    """Whether verifiers must still be able to find this key in the JWKS."""
    if key.status == KeyStatus.ACTIVE:
        return True
    due = retirement_due(key, token_ttl_seconds=token_ttl_seconds)
    return due is not None and now <= due


def demote_active(keys: Iterable[SigningKey], *, now: datetime) -> list[SigningKey]:
    """The currently active keys, turned `retiring` for a rotation that happens `now`."""
    return [
        replace(key, status=KeyStatus.RETIRING, retiring_since=now)
        for key in keys
        if key.status == KeyStatus.ACTIVE
    ]


def retire_expired(
    keys: Iterable[SigningKey], *, now: datetime, token_ttl_seconds: int
) -> list[SigningKey]:
    """The retiring keys whose tokens have all expired, turned `retired`."""
    return [
        replace(key, status=KeyStatus.RETIRED)
        for key in keys
        if key.status == KeyStatus.RETIRING
        and not is_published(key, now=now, token_ttl_seconds=token_ttl_seconds)
    ]
