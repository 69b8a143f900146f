"""Registering users: checked, hashed, stored with their membership and announced, in that order.

Cheap checks (rules, organization, free email) run before the deliberately slow password hash,
so a request that is going to fail does not cost the server a hash.
"""

from __future__ import annotations

from collections.abc import Iterable

from bazaar_chassis import Caller, Runtime, UnitOfWork, new_id
from bazaar_identity import domain, events, store
from bazaar_identity.authority import require_admin
from bazaar_identity.context import IdentityContext
from bazaar_identity.domain import DuplicateEmail, Registration, UnknownOrganization, User


async def _check_free(runtime: Runtime, registration: Registration) -> None:
    async with runtime.database.snapshot() as connection:
        if not await store.organization_exists(connection, registration.organization):
            raise UnknownOrganization(registration.organization)
        if await store.existing_emails(connection, [registration.email]):
            raise DuplicateEmail(registration.email)


async def record(uow: UnitOfWork, user: User, registration: Registration) -> None:
    """Store a new user with its memberships and emit `identity.user_registered.v1`."""
    if not await store.organization_exists(uow.connection, registration.organization):
        raise UnknownOrganization(registration.organization)
    if await store.existing_emails(uow.connection, [user.email]):
        raise DuplicateEmail(user.email)
    await store.insert_user(uow.connection, user)
    uow.emit(
        events.USER_REGISTERED,
        subject=user.id,
        sequence=user.version,
        data=events.user_registered(user, registration),
    )


async def register_user(
    runtime: Runtime,
    identity: IdentityContext,
    *,
    by: Caller,
    email: str,
    password: str,
    name: str,
    organization: str,
    roles: Iterable[str],
) -> User:
    """Register a user on behalf of `by`, who must be a platform admin (checked here, whatever
    route or policy led here)."""
    require_admin(by, "create users")
    registration = domain.register(
        email=email, password=password, name=name, organization=organization, roles=roles
    )
    await _check_free(runtime, registration)
    user = domain.new_user(
        registration,
        id=new_id(),
        password_hash=await identity.passwords.hash_async(password),
        now=identity.now(),
    )
    async with runtime.unit_of_work() as uow:
        await record(uow, user, registration)
    return user
