"""bazaar_chassis: the infrastructure every Bazaar service shares, and nothing more.

Business logic never lives here. A service builds a `ServiceDefinition` and calls `create_app`;
its use cases write through `Units` and read through `Reads` (its own store on a transaction or a
snapshot), raise the error types of `errors` and check SKUs, money and ids with `rules`.
README.md says what each piece is for. Services import only the names below.

The names are imported on first use (PEP 562), so a process that needs only a piece — the
gateway wants the bus and the caller, the CLI the nats-server launcher — does not pay for FastAPI
and SQLAlchemy at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bazaar_chassis.caller import Caller
    from bazaar_chassis.columns import UtcDateTime, from_row, row_values, sku_versions_table
    from bazaar_chassis.consumer import Batched, Handler
    from bazaar_chassis.database import dialect_insert
    from bazaar_chassis.envelope import Event
    from bazaar_chassis.errors import (
        ConfigurationError,
        Conflict,
        DomainError,
        Forbidden,
        InvalidInput,
        NotFound,
        StaleVersion,
        Unauthorized,
        Unavailable,
    )
    from bazaar_chassis.jobs import repeat
    from bazaar_chassis.rules import (
        MAX_SKUS_PER_QUERY,
        Clock,
        InvalidSku,
        InvalidSkuList,
        Money,
        check_sku,
        new_id,
        parse_skus,
        utc_now,
    )
    from bazaar_chassis.runner import serve
    from bazaar_chassis.service import (
        BackgroundJob,
        CallerDep,
        ReadsDep,
        Runtime,
        RuntimeDep,
        ServiceDefinition,
        StartupStep,
        UnitsDep,
        create_app,
    )
    from bazaar_chassis.settings import DEMO_SECRET, ServiceSettings
    from bazaar_chassis.unit_of_work import Reads, UnitOfWork, Units, Work

_HOMES = {
    "Caller": "caller",
    "UtcDateTime": "columns",
    "from_row": "columns",
    "row_values": "columns",
    "sku_versions_table": "columns",
    "Batched": "consumer",
    "Handler": "consumer",
    "dialect_insert": "database",
    "Event": "envelope",
    "ConfigurationError": "errors",
    "Conflict": "errors",
    "DomainError": "errors",
    "Forbidden": "errors",
    "InvalidInput": "errors",
    "NotFound": "errors",
    "StaleVersion": "errors",
    "Unauthorized": "errors",
    "Unavailable": "errors",
    "repeat": "jobs",
    "Clock": "rules",
    "InvalidSku": "rules",
    "InvalidSkuList": "rules",
    "MAX_SKUS_PER_QUERY": "rules",
    "Money": "rules",
    "check_sku": "rules",
    "new_id": "rules",
    "parse_skus": "rules",
    "utc_now": "rules",
    "serve": "runner",
    "BackgroundJob": "service",
    "CallerDep": "service",
    "ReadsDep": "service",
    "Runtime": "service",
    "RuntimeDep": "service",
    "ServiceDefinition": "service",
    "StartupStep": "service",
    "UnitsDep": "service",
    "create_app": "service",
    "DEMO_SECRET": "settings",
    "ServiceSettings": "settings",
    "Reads": "unit_of_work",
    "UnitOfWork": "unit_of_work",
    "Units": "unit_of_work",
    "Work": "unit_of_work",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bazaar_chassis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bazaar_chassis.{home}"), name)


__all__ = [
    "DEMO_SECRET",
    "MAX_SKUS_PER_QUERY",
    "BackgroundJob",
    "Batched",
    "Caller",
    "CallerDep",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "DomainError",
    "Event",
    "Forbidden",
    "Handler",
    "InvalidInput",
    "InvalidSku",
    "InvalidSkuList",
    "Money",
    "NotFound",
    "Reads",
    "ReadsDep",
    "Runtime",
    "RuntimeDep",
    "ServiceDefinition",
    "ServiceSettings",
    "StaleVersion",
    "StartupStep",
    "Unauthorized",
    "Unavailable",
    "UnitOfWork",
    "Units",
    "UnitsDep",
    "UtcDateTime",
    "Work",
    "check_sku",
    "create_app",
    "dialect_insert",
    "from_row",
    "new_id",
    "parse_skus",
    "repeat",
    "row_values",
    "serve",
    "sku_versions_table",
    "utc_now",
]
