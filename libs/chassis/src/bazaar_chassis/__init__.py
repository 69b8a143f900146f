"""bazaar_chassis: the infrastructure every Bazaar service shares, and nothing more.

Business logic never lives here. A service builds a `ServiceDefinition` and calls `create_app`;
it raises the error types of `errors`, writes through `Runtime.unit_of_work()` and reads through
`Runtime.database.snapshot()`.

The names below are imported on first use (PEP 562), so a process that needs only a piece —
the gateway wants the bus and the caller, the CLI the nats-server launcher — does not pay for
FastAPI and SQLAlchemy at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bazaar_chassis.caller import GUEST, Caller
    from bazaar_chassis.columns import UtcDateTime
    from bazaar_chassis.envelope import Event
    from bazaar_chassis.errors import (
        Conflict,
        DomainError,
        Forbidden,
        InvalidInput,
        NotFound,
        StaleVersion,
        Unauthorized,
        Unavailable,
    )
    from bazaar_chassis.service import (
        CallerDep,
        Runtime,
        RuntimeDep,
        ServiceDefinition,
        create_app,
    )
    from bazaar_chassis.settings import ServiceSettings
    from bazaar_chassis.unit_of_work import UnitOfWork

_HOMES = {
    "GUEST": "caller",
    "Caller": "caller",
    "UtcDateTime": "columns",
    "Event": "envelope",
    "Conflict": "errors",
    "DomainError": "errors",
    "Forbidden": "errors",
    "InvalidInput": "errors",
    "NotFound": "errors",
    "StaleVersion": "errors",
    "Unauthorized": "errors",
    "Unavailable": "errors",
    "CallerDep": "service",
    "Runtime": "service",
    "RuntimeDep": "service",
    "ServiceDefinition": "service",
    "create_app": "service",
    "ServiceSettings": "settings",
    "UnitOfWork": "unit_of_work",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bazaar_chassis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bazaar_chassis.{home}"), name)


__all__ = [
    "GUEST",
    "Caller",
    "CallerDep",
    "Conflict",
    "DomainError",
    "Event",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Runtime",
    "RuntimeDep",
    "ServiceDefinition",
    "ServiceSettings",
    "StaleVersion",
    "Unauthorized",
    "Unavailable",
    "UnitOfWork",
    "UtcDateTime",
    "create_app",
]
