"""Users and organizations: registering, reading, the first admin, the demo accounts.

A registration is checked, hashed, stored with its membership and announced, in that order:
cheap checks (rules, organization, free email) run before the deliberately slow password hash,
so a request that is going to fail does not cost the server a hash.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import SecretStr

from bazaar_chassis import Caller, Clock, Conflict, Forbidden, Reads, Units, Work, new_id, utc_now
from bazaar_identity import demo, domain, events
from bazaar_identity.authority import require_admin
from bazaar_identity.domain import (
    DuplicateEmail,
    Organization,
    Registration,
    UnknownOrganization,
    User,
)
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.use_cases import Identities

ADMIN_ROLE = "admin"
# Who registers the first admin: the operator holding the bootstrap token, acting as an admin of
# the platform organization for this one call (`register_user` checks its caller).
BOOTSTRAP = Caller(
    subject="bootstrap",
    kind="service",
    organization=domain.PLATFORM_ORGANIZATION,
    roles=(ADMIN_ROLE,),
)


class BootstrapClosed(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "an administrator exists already: bootstrap is closed; ask an admin to add accounts"
        )


class BadBootstrapToken(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "the bootstrap token does not match (it is in <data dir>/secrets/"
            "identity-bootstrap-token; `bazaar admin create` reads it)"
        )


async def _check_free(store: Identities, registration: Registration, email: str) -> None:
    if not await store.organization_exists(registration.organization):
        raise UnknownOrganization(registration.organization)
    if await store.existing_emails([email]):
        raise DuplicateEmail(email)


async def _record(work: Work[Identities], user: User, registration: Registration) -> None:
    """Store a new user with its memberships and emit `identity.user_registered.v1`."""
    await _check_free(work.store, registration, user.email)
    await work.store.insert_user(user)
    work.emit(
        events.USER_REGISTERED,
        subject=user.id,
        sequence=user.version,
        data=events.user_registered(user, registration),
    )


async def register_user(
    *,
    units: Units[Identities],
    reads: Reads[Identities],
    passwords: PasswordHashing,
    by: Caller,
    email: str,
    password: str,
    name: str,
    organization: str,
    roles: Iterable[str],
    clock: Clock = utc_now,
) -> User:
    """Register a user on behalf of `by`, who must be a platform admin (checked here, whatever
    route or policy led here)."""
    require_admin(by, "create users")
    registration = domain.register(
        email=email, password=password, name=name, organization=organization, roles=roles
    )
    async with reads() as store:
        await _check_free(store, registration, registration.email)
    user = domain.new_user(
        registration,
        id=new_id(),
        password_hash=await passwords.hash_async(password),
        now=clock(),
    )
    async with units() as work:
        await _record(work, user, registration)
    return user


async def get_user(*, reads: Reads[Identities], by: Caller, user_id: str) -> User:
    """An account: its owner may read it, and administrators may read any (checked here, not
    only at the gateway: the gateway cannot know whose account an id is)."""
    if by.subject != user_id and not by.is_admin:
        raise domain.NotYourAccount()
    async with reads() as store:
        user = await store.get_user(user_id)
    if user is None:
        raise domain.UserNotFound(user_id)
    return user


async def list_organizations(*, reads: Reads[Identities], by: Caller) -> list[Organization]:
    require_admin(by, "list organizations")
    async with reads() as store:
        return await store.list_organizations()


async def ensure_organizations(
    *, units: Units[Identities], names: Mapping[str, str], clock: Clock = utc_now
) -> None:
    """Create the organizations `{key: name}` that are missing; existing ones stay as they are."""
    now = clock()
    async with units() as work:
        await work.store.ensure_organizations([Organization(k, n, now) for k, n in names.items()])


async def first_admin(
    *,
    units: Units[Identities],
    reads: Reads[Identities],
    passwords: PasswordHashing,
    expected_token: SecretStr | None,
    token: str,
    email: str,
    password: str,
    name: str,
    organization: str,
    clock: Clock = utc_now,
) -> User:
    """Create the first admin of `organization` (made if missing), if `token` is the bootstrap
    token and no administrator exists yet."""
    if expected_token is None or not hmac.compare_digest(
        expected_token.get_secret_value().encode(), token.encode()
    ):
        raise BadBootstrapToken()
    async with reads() as store:
        if await store.has_member_with_role(ADMIN_ROLE):
            raise BootstrapClosed()
    key = domain.check_organization_key(organization)
    await ensure_organizations(units=units, names={key: key}, clock=clock)
    return await register_user(
        units=units,
        reads=reads,
        passwords=passwords,
        by=BOOTSTRAP,
        email=email,
        password=password,
        name=name,
        organization=key,
        roles=[ADMIN_ROLE],
        clock=clock,
    )


async def seed_demo_accounts(
    *,
    units: Units[Identities],
    reads: Reads[Identities],
    passwords: PasswordHashing,
    mode: Literal["development", "production"],
    clock: Clock = utc_now,
) -> list[str]:
    """Create the missing demo organizations and accounts (development only); the emails made."""
    wanted = demo.demo_accounts_for(mode)
    if not wanted:
        return []
    now = clock()
    await ensure_organizations(units=units, names=demo.DEMO_ORGANIZATIONS, clock=lambda: now)
    async with reads() as store:
        existing = await store.existing_emails([a.email for a in wanted])
    to_create = demo.missing_accounts(wanted, existing)
    if not to_create:
        return []
    # One hash for all: they share a published password, and each argon2 hash costs ~0.25 s
    # of CPU on the start-up path.
    password_hash = await passwords.hash_async(demo.DEMO_PASSWORD)
    created = []
    for account in to_create:
        registration = domain.register(
            email=account.email,
            password=demo.DEMO_PASSWORD,
            name=account.name,
            organization=account.organization,
            roles=[account.role],
        )
        user = domain.new_user(registration, id=new_id(), password_hash=password_hash, now=now)
        try:
            async with units() as work:
                await _record(work, user, registration)
        except DuplicateEmail:
            continue  # another instance seeded it in the meantime
        created.append(account.email)
    return created
