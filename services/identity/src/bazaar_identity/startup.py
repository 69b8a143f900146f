"""What runs before the first request, and the jobs that run for an instance's lifetime.

Before serving: the platform organizations exist, an active signing key exists and opens with
the configured passphrase, the operator's service clients are stored, and (development mode only)
the demo accounts exist. Every step is idempotent, so every start and every instance runs them.
Each step is one use case, handed the runtime's `units`/`reads` and the context's collaborators.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from bazaar_chassis import BackgroundJob, Runtime, StartupStep, repeat
from bazaar_identity import domain
from bazaar_identity.context import IdentityContext
from bazaar_identity.use_cases import accounts, clients, sessions, signing

RETIREMENT_CHECK_SECONDS = 60.0

_log = structlog.get_logger("bazaar.identity.keys")


def startup_steps(
    identity: IdentityContext, *, client_secrets: Mapping[str, str]
) -> list[StartupStep]:
    clock = identity.clock

    async def platform_organizations(runtime: Runtime) -> None:
        await accounts.ensure_organizations(
            units=runtime.units, names=domain.PLATFORM_ORGANIZATIONS, clock=clock
        )

    async def active_signing_key(runtime: Runtime) -> None:
        await signing.ensure_active_key(units=runtime.units, keyring=identity.keyring, clock=clock)

    async def configured_service_clients(runtime: Runtime) -> None:
        await clients.configure_clients(
            units=runtime.units, client_secrets=client_secrets, clock=clock
        )

    async def demo_accounts(runtime: Runtime) -> None:
        await accounts.seed_demo_accounts(
            units=runtime.units,
            reads=runtime.reads,
            passwords=identity.passwords,
            mode=runtime.settings.mode,
            clock=clock,
        )

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
            retired = await signing.retire_keys(
                units=runtime.units, keyring=identity.keyring, clock=identity.clock
            )
            if retired:
                _log.info("signing keys retired", kids=retired)

        await repeat(round_, every=RETIREMENT_CHECK_SECONDS, name="retire-signing-keys")

    async def forget_stale_guard_rows(runtime: Runtime) -> None:
        """Delete expired revocations and quiet, unblocked throttle counts."""

        async def round_() -> None:
            await sessions.forget_stale(units=runtime.units, clock=identity.clock)

        await repeat(round_, every=RETIREMENT_CHECK_SECONDS, name="forget-stale-guard-rows")

    return [retire_signing_keys, forget_stale_guard_rows]
