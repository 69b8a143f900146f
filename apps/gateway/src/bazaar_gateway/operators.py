"""Who may see the platform's topology: operators, by the policy, or probes with the token.

Service names, majors, versions and instances are for operators only (issue 8): an operator is
a caller the policy lets read `GET /gateway/1/services`; a probe or scraper presents the
operations token (`BAZAAR_OPERATIONS_TOKEN`, made by `bazaar up` in `secrets/`) instead.
"""

from __future__ import annotations

from aiohttp import web

from bazaar_chassis.caller import Caller
from bazaar_chassis.errors import DomainError
from bazaar_gateway.state import GATEWAY, Gateway
from bazaar_platform.operations_token import presents_operations_token

OPERATOR_PROBE = ("GET", "/gateway/1/services")


def is_operator(gateway: Gateway, caller: Caller) -> bool:
    """True if the policy lets `caller` see the platform's topology."""
    method, path = OPERATOR_PROBE
    policies = gateway.policies
    return policies.loaded and (
        policies.index.decide(
            roles=caller.roles, organization=caller.organization, method=method, path=path
        ).allowed
    )


def has_operations_token(request: web.Request) -> bool:
    token = request.app[GATEWAY].settings.operations_token
    secret = token.get_secret_value() if token else None
    return presents_operations_token(request.headers.get("Authorization"), secret)


async def may_see_topology(request: web.Request) -> bool:
    """The operations token, or an operator's valid token; never raises (readiness probes)."""
    if has_operations_token(request):
        return True
    gateway = request.app[GATEWAY]
    try:
        caller = await gateway.admission.authenticator.caller(request.headers.get("Authorization"))
    except DomainError:
        return False
    return is_operator(gateway, caller)
