"""The first administrator of a deployment without demo accounts (production mode).

`bazaar admin create` sends the one-time bootstrap token from `<data dir>/secrets` with the new
admin's details; identity creates the account only while no administrator exists at all.
"""

from __future__ import annotations

import hmac

from bazaar_chassis import Caller, Conflict, Forbidden, Runtime
from bazaar_identity import accounts, domain, store
from bazaar_identity.context import IdentityContext
from bazaar_identity.domain import Organization, User

ADMIN_ROLE = "admin"
# Who registers the first admin: the operator holding the bootstrap token, acting as an admin of
# the platform organization for this one call (`accounts.register_user` checks its caller).
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


async def first_admin(
    runtime: Runtime,
    identity: IdentityContext,
    *,
    token: str,
    email: str,
    password: str,
    name: str,
    organization: str,
) -> User:
    """Create the first admin of `organization` (made if missing), if the token is right."""
    expected = identity.settings.bootstrap_token
    if expected is None or not hmac.compare_digest(
        expected.get_secret_value().encode(), token.encode()
    ):
        raise BadBootstrapToken()
    async with runtime.database.snapshot() as connection:
        if await store.has_member_with_role(connection, ADMIN_ROLE):
            raise BootstrapClosed()
    key = domain.check_organization_key(organization)
    async with runtime.unit_of_work() as uow:
        await store.ensure_organizations(uow.connection, [Organization(key, key, identity.now())])
    return await accounts.register_user(
        runtime,
        identity,
        by=BOOTSTRAP,
        email=email,
        password=password,
        name=name,
        organization=key,
        roles=[ADMIN_ROLE],
    )
