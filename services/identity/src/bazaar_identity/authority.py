"""Who may administer identity: checked here, by identity itself, not only by the gateway policy.

Creating users and service clients, rotating keys, listing organizations and revoking others'
tokens hand out power, so identity refuses them (403) unless the caller is an administrator of
the operator organization, or a platform service whose job needs that one action. A policy
edit at the gateway that opened these routes would therefore still not open them.
"""

from __future__ import annotations

from bazaar_chassis import Caller, Forbidden
from bazaar_identity.domain import PLATFORM_ORGANIZATION

GATEWAY_ROLE = "service:gateway"


class AdministratorsOnly(Forbidden):
    title = "Administrators only"

    def __init__(self, caller: Caller, action: str) -> None:
        super().__init__(
            f"only an admin of organization {PLATFORM_ORGANIZATION!r} may {action}; "
            f"{caller.kind} {caller.subject} has roles {list(caller.roles)} in "
            f"{caller.organization!r}"
        )


def is_platform_admin(caller: Caller) -> bool:
    return caller.is_admin and caller.organization == PLATFORM_ORGANIZATION


def require_admin(caller: Caller, action: str, *, or_role: str | None = None) -> None:
    """Raise AdministratorsOnly unless `caller` is a platform admin (or holds `or_role` in the
    operator organization, for the one service that needs this action)."""
    if is_platform_admin(caller):
        return
    if (
        or_role is not None
        and or_role in caller.roles
        and caller.organization == PLATFORM_ORGANIZATION
    ):
        return
    raise AdministratorsOnly(caller, action)
