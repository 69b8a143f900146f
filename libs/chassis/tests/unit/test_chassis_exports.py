"""The chassis's public API: written out below, equal to what the services import, nothing more.

Adding a name to `__all__` means adding it here too, on purpose; a service that reaches past
`__all__` into a chassis module, or a name no service uses any more, fails a test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bazaar_chassis

PUBLIC_API = [
    "DEMO_SECRET",
    "MAX_INT32",
    "MAX_INTEGER",
    "BackgroundJob",
    "Batched",
    "Caller",
    "CallerDep",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "Deprecation",
    "DomainError",
    "Event",
    "Forbidden",
    "Handler",
    "InvalidInput",
    "InvalidSku",
    "InvalidSkuList",
    "Links",
    "LoopConnection",
    "Money",
    "NotFound",
    "Offset",
    "Reads",
    "ReadsDep",
    "Runtime",
    "RuntimeDep",
    "ServiceDefinition",
    "ServiceSettings",
    "Sku",
    "SkuList",
    "StaleVersion",
    "StartupStep",
    "Text",
    "Unauthorized",
    "Unavailable",
    "UnitOfWork",
    "Units",
    "UnitsDep",
    "UtcDateTime",
    "Version",
    "WholeNumber",
    "Work",
    "check_sku",
    "create_app",
    "dialect_insert",
    "from_row",
    "insert_for",
    "new_id",
    "parse_skus",
    "repeat",
    "row_values",
    "serve",
    "sku_versions_table",
    "units_within",
    "utc_now",
    "versioned",
]

ROOT = Path(__file__).resolve().parents[4]
# the services, and libs/shelf: service code the catalog and search share
SERVICE_CODE = [*(ROOT / "services").glob("*"), ROOT / "libs" / "shelf"]


def _chassis_imports(*, tests: bool) -> list[tuple[str, str, str]]:
    """(file, module, name) of every `from bazaar_chassis... import name` in the services."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(
        p for top in SERVICE_CODE for p in top.glob(f"{'tests' if tests else 'src'}/**/*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bazaar_"):
                module = node.module or ""
                if module.startswith("bazaar_chassis"):
                    found += [(path.name, module, alias.name) for alias in node.names]
    return found


def test_the_public_api_is_exactly_the_pinned_list() -> None:
    assert sorted(bazaar_chassis.__all__) == sorted(PUBLIC_API)
    assert sorted(bazaar_chassis._HOMES) == sorted(PUBLIC_API)


def test_every_public_name_resolves() -> None:
    for name in PUBLIC_API:
        assert getattr(bazaar_chassis, name) is not None, name


def test_services_import_the_chassis_only_through_its_public_names() -> None:
    past_all = [
        (file, module, name)
        for file, module, name in _chassis_imports(tests=False)
        if module != "bazaar_chassis" or name not in PUBLIC_API
    ]
    assert past_all == []


def test_every_public_name_is_used_by_some_service() -> None:
    used = {
        name
        for _file, module, name in _chassis_imports(tests=False) + _chassis_imports(tests=True)
        if module == "bazaar_chassis"
    }
    assert sorted(set(PUBLIC_API) - used) == []
