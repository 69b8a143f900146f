"""bazaar_chassis: the infrastructure every Bazaar service shares, and nothing more.

Business logic never lives here. A service builds a `ServiceDefinition` and calls `create_app`;
it raises the error types of `errors`, writes through `Runtime.unit_of_work()` and reads through
`Runtime.database.snapshot()`.
"""

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
from bazaar_chassis.service import CallerDep, Runtime, RuntimeDep, ServiceDefinition, create_app
from bazaar_chassis.settings import ServiceSettings
from bazaar_chassis.unit_of_work import UnitOfWork

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
