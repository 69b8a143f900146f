"""bazaar_chassis: the infrastructure every Bazaar service shares, and no business logic
(README.md says what each piece is for). Services import only the names below.

The names are imported on first use (PEP 562), so a process that needs only a piece (the gateway
wants the bus and the caller) does not pay for FastAPI and SQLAlchemy at start-up; the
`TYPE_CHECKING` imports give the type checker the same names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bazaar_chassis.caller import Caller as Caller
    from bazaar_chassis.columns import UtcDateTime as UtcDateTime
    from bazaar_chassis.columns import from_row as from_row
    from bazaar_chassis.columns import row_values as row_values
    from bazaar_chassis.columns import sku_versions_table as sku_versions_table
    from bazaar_chassis.columns import versioned as versioned
    from bazaar_chassis.consumer import Batched as Batched
    from bazaar_chassis.consumer import Handler as Handler
    from bazaar_chassis.database import dialect_insert as dialect_insert
    from bazaar_chassis.database import insert_for as insert_for
    from bazaar_chassis.envelope import Event as Event
    from bazaar_chassis.errors import ConfigurationError as ConfigurationError
    from bazaar_chassis.errors import Conflict as Conflict
    from bazaar_chassis.errors import DomainError as DomainError
    from bazaar_chassis.errors import Forbidden as Forbidden
    from bazaar_chassis.errors import InvalidInput as InvalidInput
    from bazaar_chassis.errors import NotFound as NotFound
    from bazaar_chassis.errors import StaleVersion as StaleVersion
    from bazaar_chassis.errors import Unauthorized as Unauthorized
    from bazaar_chassis.errors import Unavailable as Unavailable
    from bazaar_chassis.jobs import repeat as repeat
    from bazaar_chassis.links import Links as Links
    from bazaar_chassis.registry import Deprecation as Deprecation
    from bazaar_chassis.rules import MAX_INT32 as MAX_INT32
    from bazaar_chassis.rules import MAX_INTEGER as MAX_INTEGER
    from bazaar_chassis.rules import Clock as Clock
    from bazaar_chassis.rules import InvalidSku as InvalidSku
    from bazaar_chassis.rules import InvalidSkuList as InvalidSkuList
    from bazaar_chassis.rules import Money as Money
    from bazaar_chassis.rules import Offset as Offset
    from bazaar_chassis.rules import Sku as Sku
    from bazaar_chassis.rules import SkuList as SkuList
    from bazaar_chassis.rules import Text as Text
    from bazaar_chassis.rules import Version as Version
    from bazaar_chassis.rules import WholeNumber as WholeNumber
    from bazaar_chassis.rules import check_sku as check_sku
    from bazaar_chassis.rules import new_id as new_id
    from bazaar_chassis.rules import parse_skus as parse_skus
    from bazaar_chassis.rules import utc_now as utc_now
    from bazaar_chassis.runner import serve as serve
    from bazaar_chassis.service import BackgroundJob as BackgroundJob
    from bazaar_chassis.service import CallerDep as CallerDep
    from bazaar_chassis.service import ReadsDep as ReadsDep
    from bazaar_chassis.service import Runtime as Runtime
    from bazaar_chassis.service import RuntimeDep as RuntimeDep
    from bazaar_chassis.service import ServiceDefinition as ServiceDefinition
    from bazaar_chassis.service import StartupStep as StartupStep
    from bazaar_chassis.service import UnitsDep as UnitsDep
    from bazaar_chassis.service import create_app as create_app
    from bazaar_chassis.settings import DEMO_SECRET as DEMO_SECRET
    from bazaar_chassis.settings import ServiceSettings as ServiceSettings
    from bazaar_chassis.sqlite_on_loop import LoopConnection as LoopConnection
    from bazaar_chassis.unit_of_work import Reads as Reads
    from bazaar_chassis.unit_of_work import UnitOfWork as UnitOfWork
    from bazaar_chassis.unit_of_work import Units as Units
    from bazaar_chassis.unit_of_work import Work as Work
    from bazaar_chassis.unit_of_work import units_within as units_within

_EXPORTS = {  # module: the names services import from it
    "caller": "Caller",
    "columns": "from_row row_values sku_versions_table UtcDateTime versioned",
    "consumer": "Batched Handler",
    "database": "dialect_insert insert_for",
    "envelope": "Event",
    "errors": "ConfigurationError Conflict DomainError Forbidden InvalidInput NotFound "
    "StaleVersion Unauthorized Unavailable",
    "jobs": "repeat",
    "links": "Links",
    "registry": "Deprecation",
    "rules": "check_sku Clock InvalidSku InvalidSkuList MAX_INT32 MAX_INTEGER Money new_id Offset "
    "parse_skus Sku SkuList Text utc_now Version WholeNumber",
    "runner": "serve",
    "service": "BackgroundJob CallerDep create_app ReadsDep Runtime RuntimeDep ServiceDefinition "
    "StartupStep UnitsDep",
    "settings": "DEMO_SECRET ServiceSettings",
    "sqlite_on_loop": "LoopConnection",
    "unit_of_work": "Reads UnitOfWork Units units_within Work",
}
_HOMES = {name: module for module, names in _EXPORTS.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bazaar_chassis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"bazaar_chassis.{home}"), name)


__all__ = sorted(_HOMES)  # pinned by tests/unit/test_chassis_exports.py
