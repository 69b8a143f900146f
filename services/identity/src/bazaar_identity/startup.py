"""What runs before the first request, and the jobs that run for an instance's lifetime.

Before serving: the platform organizations exist, an active signing key exists and opens with
the configured passphrase, the operator's service clients are stored, and (development mode only)
the demo accounts exist. Every step is idempotent, so every start and every instance runs them.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from bazaar_chassis import BackgroundJob, Runtime, StartupStep, repeat
from bazaar_identity import demo, domain, revocations, service_clients, store, throttle
from bazaar_identity.context import IdentityContext
from bazaar_identity.domain import Organization
from bazaar_identity.keyring import ConcurrentRotation

RETIREMENT_CHECK_SECONDS = 60.0

_log = structlog.get_logger("bazaar.identity.keys")


def startup_steps(
    identity: IdentityContext, *, client_secrets: Mapping[str, str]
) -> list[StartupStep]:
    async def platform_organizations(runtime: Runtime) -> None:
        now = identity.now()
        async with runtime.unit_of_work() as uow:
            await store.ensure_organizations(
                uow.connection,
                [Organization(k, n, now) for k, n in domain.PLATFORM_ORGANIZATIONS.items()],
            )

    async def active_signing_key(runtime: Runtime) -> None:
        try:
            async with runtime.unit_of_work() as uow:
                await identity.keyring.ensure_active(uow, now=identity.now())
        except ConcurrentRotation:  # another instance made the first key: use that one
            async with runtime.unit_of_work() as uow:
                await identity.keyring.ensure_active(uow, now=identity.now())

    async def configured_service_clients(runtime: Runtime) -> None:
        now = identity.now()
        async with runtime.unit_of_work() as uow:
            for client_id, secret in sorted(client_secrets.items()):
                client = domain.new_service_client(
                    client_id=client_id, secret_hash=service_clients.hash_secret(secret), now=now
                )
                await store.upsert_client_secret(uow.connection, client)

    async def demo_accounts(runtime: Runtime) -> None:
        await demo.seed(runtime, identity)

    async def password_hashing(_runtime: Runtime) -> None:
        await identity.passwords.warm_up()

    return [
        platform_organizations,
        active_signing_key,
        configured_service_clients,
        demo_accounts,
        password_hashing,
    ]


def background_jobs(identity: IdentityContext) -> list[BackgroundJob]:
    async def retire_signing_keys(runtime: Runtime) -> None:
        """Mark keys `retired` once their tokens have expired (the JWKS already omits them)."""

        async def round_() -> None:
            async with runtime.unit_of_work() as uow:
                retired = await identity.keyring.retire_expired(uow, now=identity.now())
            if retired:
                _log.info("signing keys retired", kids=retired)

        await repeat(round_, every=RETIREMENT_CHECK_SECONDS, name="retire-signing-keys")

    async def forget_stale_guard_rows(runtime: Runtime) -> None:
        """Delete expired revocations and quiet, unblocked throttle counts."""

        async def round_() -> None:
            async with runtime.unit_of_work() as uow:
                now = identity.now()
                await revocations.forget_expired(uow.connection, now=now)
                await throttle.forget_quiet(uow.connection, now=now)

        await repeat(round_, every=RETIREMENT_CHECK_SECONDS, name="forget-stale-guard-rows")

    return [retire_signing_keys, forget_stale_guard_rows]
