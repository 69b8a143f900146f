"""The two OAuth2 grants identity answers: a person's password, a service's client credentials.

Each checks the credentials, decides what the token says (organization, roles) and signs it with
the active key. Every failure of a credential looks the same from outside. A password attempt is
charged to its account and address first (throttle.py), so a throttled guess costs no hash.
"""

from __future__ import annotations

import contextlib

from bazaar_chassis import Runtime
from bazaar_identity import domain, service_clients, store, throttle, tokens
from bazaar_identity.context import IdentityContext
from bazaar_identity.domain import InvalidClient, InvalidEmail, InvalidGrant, InvalidRequest
from bazaar_identity.tokens import Grant, IssuedToken, TokenKind


async def password_grant(
    runtime: Runtime,
    identity: IdentityContext,
    *,
    username: str,
    password: str,
    organization: str | None = None,
    address: str | None = None,
) -> IssuedToken:
    if len(password) > domain.MAX_PASSWORD_LENGTH:
        raise InvalidRequest(f"password is longer than {domain.MAX_PASSWORD_LENGTH} characters")
    user = None
    email: str | None = None
    # An impossible email is no user: it falls through to the same slow failure as a wrong
    # password (and is charged to the address only).
    with contextlib.suppress(InvalidEmail):
        email = domain.normalize_email(username)
    charged = throttle.keys(email=email, address=address)
    async with runtime.unit_of_work() as uow:
        for key, policy in charged:
            await throttle.charge(uow.connection, key, policy, now=identity.now())
    if email is not None:
        async with runtime.database.snapshot() as connection:
            user = await store.find_user_by_email(connection, email)
    stored_hash = user.password_hash if user is not None else None
    if not await identity.passwords.verify_async(stored_hash, password) or user is None:
        raise InvalidGrant
    async with runtime.unit_of_work() as uow:
        await throttle.clear(uow.connection, throttle.account_key(user.email))
        if address:  # the address's count is of failures only
            await throttle.refund(
                uow.connection, throttle.address_key(address), throttle.ADDRESS_POLICY
            )
    chosen, roles = domain.choose_organization(user.memberships, organization)
    grant = Grant(
        subject=user.id,
        kind=TokenKind.USER,
        organization=chosen,
        roles=tuple(roles),
        email=user.email,
    )
    return await _issue(runtime, identity, grant)


async def client_credentials_grant(
    runtime: Runtime, identity: IdentityContext, *, client_id: str, client_secret: str
) -> IssuedToken:
    async with runtime.database.snapshot() as connection:
        client = await store.get_client(connection, client_id)
    if not service_clients.secret_matches(client, client_secret) or client is None:
        raise InvalidClient
    grant = Grant(
        subject=client.subject,
        kind=TokenKind.SERVICE,
        organization=client.organization,
        roles=client.roles,
    )
    return await _issue(runtime, identity, grant)


async def _issue(runtime: Runtime, identity: IdentityContext, grant: Grant) -> IssuedToken:
    async with runtime.database.snapshot() as connection:
        kid, private_key = await identity.keyring.signer(connection)
    return tokens.issue(
        grant,
        issuer=identity.settings.issuer,
        now=identity.now(),
        ttl_seconds=identity.settings.token_ttl_seconds,
        kid=kid,
        private_key=private_key,
    )
