"""The layering every service keeps (docs/architecture.md §3), checked on the import statements.

- `domain.py` does no I/O: no database, web, bus or HTTP library;
- routes (`api/*`) hold no SQL: no SQLAlchemy, and not the service's `store`;
- use cases (`use_cases.py`, or a `use_cases/` package of one module per area) reach storage
  only through the store protocol they are handed;
- no service imports another; apps never import a service; libraries import no service or app
  (in their sources: a test may start several services side by side).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
APPS = sorted(p.name for p in (ROOT / "apps").iterdir() if (p / "src").is_dir())
LIBS = sorted(p.name for p in (ROOT / "libs").iterdir() if (p / "src").is_dir())

IO_LIBRARIES = {
    "aiohttp",
    "aiosqlite",
    "asyncpg",
    "fastapi",
    "httpx",
    "nats",
    "sqlalchemy",
    "starlette",
    "uvicorn",
}
SQL_LIBRARIES = {"sqlalchemy", "aiosqlite", "asyncpg"}


def _module(name: str) -> str:
    """A workspace member's top-level package (apps/payment-provider: bazaar_payment_provider)."""
    return "bazaar_" + name.replace("-", "_")


def _package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"bazaar_{service}"


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports, absolute and dotted (`from a import b` yields a and a.b)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _offending(paths: list[Path], banned: set[str]) -> list[str]:
    """`file: module` for each import of a banned top-level package or exact module."""
    return [
        f"{path.name}: {module}"
        for path in paths
        for module in _imports(path)
        if module.split(".")[0] in banned or module in banned
    ]


def _sources(top: Path) -> list[Path]:
    return sorted((top / "src").rglob("*.py") if (top / "src").is_dir() else top.rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_does_no_io(service: str) -> None:
    package = _package(service)
    own_io = {f"bazaar_{service}.{m}" for m in ("store", "api", "service", "use_cases")}
    assert _offending([package / "domain.py"], IO_LIBRARIES | own_io) == []


@pytest.mark.parametrize("service", SERVICES)
def test_routes_hold_no_sql(service: str) -> None:
    routes = _sources(_package(service) / "api")
    assert routes, f"{service} has no api package"
    assert _offending(routes, SQL_LIBRARIES | {f"bazaar_{service}.store"}) == []


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_reach_storage_only_through_the_store_they_are_handed(service: str) -> None:
    package = _package(service)
    use_cases = sorted((package / "use_cases").glob("*.py")) or [package / "use_cases.py"]
    assert use_cases[0].is_file(), f"{service} has no use_cases.py"
    own = ("store", "api", "service", "context")
    banned = IO_LIBRARIES | {f"bazaar_{service}.{m}" for m in own}
    assert _offending(use_cases, banned) == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    others = {_module(other) for other in SERVICES + APPS if other != service}
    assert _offending(_sources(ROOT / "services" / service), others) == []


@pytest.mark.parametrize("app", APPS)
def test_apps_never_import_a_service(app: str) -> None:
    services = {f"bazaar_{service}" for service in SERVICES}
    assert _offending(_sources(ROOT / "apps" / app), services) == []


@pytest.mark.parametrize("lib", LIBS)
def test_libraries_import_no_service_and_no_app(lib: str) -> None:
    above = {_module(name) for name in SERVICES + APPS}
    assert _offending(_sources(ROOT / "libs" / lib), above) == []


def test_the_checks_see_every_kind_of_forbidden_import(tmp_path: Path) -> None:
    """The rule catches `import x`, `import x.y` and `from x.y import z`, not relative imports."""
    module = tmp_path / "m.py"
    module.write_text(
        "import sqlalchemy\nimport nats.js\nfrom bazaar_x.store import S\nfrom . import store\n"
    )
    found = _offending([module], {"sqlalchemy", "nats", "bazaar_x.store"})
    assert [line.split(": ")[1] for line in found] == ["sqlalchemy", "nats.js", "bazaar_x.store"]
