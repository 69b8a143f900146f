"""Admission of one request: rate-limit, authenticate, authorize — in that order.

Rate limiting comes first so that a flood of bad tokens is refused with 429 before any signature
is checked: a request is counted against its caller if its token was already verified here
(a cache look-up), otherwise against its address.

Every refusal is a chassis error type (401, 403, 429, 503) that the app turns into problem+json;
every authorization denial is also written to the audit log with who, what and which rule.
"""

from __future__ import annotations

import structlog

from bazaar_chassis.caller import Caller
from bazaar_chassis.errors import DomainError, Forbidden, Unavailable
from bazaar_gateway.authentication import Authenticator
from bazaar_gateway.policy_store import PolicyStore
from bazaar_gateway.rate_limit import RateLimiter

audit = structlog.get_logger("bazaar.gateway.audit")


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


class Admission:
    def __init__(
        self, *, authenticator: Authenticator, limiter: RateLimiter, policies: PolicyStore
    ) -> None:
        self.authenticator = authenticator
        self.limiter = limiter
        self.policies = policies

    async def admit(
        self, *, authorization: str | None, remote: str | None, method: str, path: str
    ) -> Caller:
        """The caller, if it may do `method` on `path` now; otherwise raise the refusal."""
        known = self.authenticator.peek(authorization)
        client = known.subject if known is not None else f"ip:{remote}"
        wait = self.limiter.retry_after(client)
        if wait:
            seconds = max(1, round(wait + 0.5))
            raise TooManyRequests(
                f"rate limit exceeded for {client}; retry in {seconds}s",
                headers={"Retry-After": str(seconds)},
            )
        caller = await self.authenticator.caller(authorization)
        if not self.policies.loaded:
            raise Unavailable("the authorization policy is not loaded yet; retry shortly")
        decision = self.policies.index.decide(
            roles=caller.roles, organization=caller.organization, method=method, path=path
        )
        if not decision.allowed:
            audit.warning(
                "authorization denied",
                subject=caller.subject,
                kind=caller.kind,
                organization=caller.organization,
                roles=list(caller.roles),
                method=method,
                path=path,
                reason=decision.explain(),
                policy_version=self.policies.revision,
            )
            raise Forbidden(
                f"{caller.kind} {caller.subject} ({', '.join(caller.roles)} in "
                f"{caller.organization}) may not {method} {path}"
            )

        return caller
