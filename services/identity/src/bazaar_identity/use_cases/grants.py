"""The two OAuth2 grants identity answers: a person's password, a service's client credentials.

Each checks the credentials, decides what the token says (organization, roles) and has the key
ring sign it. Every failure of a credential looks the same from outside. A password attempt is
charged to its account and address first (throttle.py), so a throttled guess costs no hash.
"""

from __future__ import annotations

import contextlib

from bazaar_chassis import Clock, Reads, Units, utc_now
from bazaar_identity import domain, service_clients, throttle
from bazaar_identity.domain import InvalidClient, InvalidEmail, InvalidGrant, InvalidRequest
from bazaar_identity.passwords import PasswordHashing
from bazaar_identity.tokens import Grant, IssuedToken, TokenKind
from bazaar_identity.use_cases import Identities
from bazaar_identity.use_cases.signing import KeyRing


async def password_grant(
    *,
    units: Units[Identities],
    reads: Reads[Identities],
    passwords: PasswordHashing,
    keyring: KeyRing,
    username: str,
    password: str,
    organization: str | None = None,
    address: str | None = None,
    clock: Clock = utc_now,
) -> IssuedToken:
    if len(password) > domain.MAX_PASSWORD_LENGTH:
        raise InvalidRequest(f"password is longer than {domain.MAX_PASSWORD_LENGTH} characters")
    user = None
    email: str | None = None
    # An impossible email is no user: it falls through to the same slow failure as a wrong
    # password (and is charged to the address only).
    with contextlib.suppress(InvalidEmail):
        email = domain.normalize_email(username)
    async with units() as work:
        for key, policy in throttle.keys(email=email, address=address):
            await work.store.charge_attempt(key, policy, now=clock())
    if email is not None:
        async with reads() as store:
            user = await store.find_user_by_email(email)
    stored_hash = user.password_hash if user is not None else None
    if not await passwords.verify_async(stored_hash, password) or user is None:
        raise InvalidGrant
    async with units() as work:
        await work.store.clear_attempts(throttle.account_key(user.email))
        if address:  # the address's count is of failures only
            await work.store.refund_attempt(throttle.address_key(address), throttle.ADDRESS_POLICY)
    chosen, roles = domain.choose_organization(user.memberships, organization)
    grant = Grant(
        subject=user.id,
        kind=TokenKind.USER,
        organization=chosen,
        roles=tuple(roles),
        email=user.email,
    )
    async with reads() as store:
        return await keyring.issue(store, grant, now=clock())


async def client_credentials_grant(
    *,
    reads: Reads[Identities],
    keyring: KeyRing,
    client_id: str,
    client_secret: str,
    clock: Clock = utc_now,
) -> IssuedToken:
    async with reads() as store:
        client = await store.get_client(client_id)
        if not service_clients.secret_matches(client, client_secret) or client is None:
            raise InvalidClient
        grant = Grant(
            subject=client.subject,
            kind=TokenKind.SERVICE,
            organization=client.organization,
            roles=client.roles,
        )
        return await keyring.issue(store, grant, now=clock())
