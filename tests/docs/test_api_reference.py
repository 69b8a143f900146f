"""The API reference in docs/api/ is what the services' code says now: built from each service's
OpenAPI document by scripts/api_docs.py, it fails here as soon as a route changes without it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def api_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_api_reference_is_what_the_services_openapi_documents_say() -> None:
    stale = api_docs().stale_files(ROOT / "docs" / "api")
    assert not stale, f"docs/api is stale ({', '.join(stale)}): run ./scripts/api-docs"


def test_a_changed_document_is_reported_stale(tmp_path: Path) -> None:
    module = api_docs()
    for name, text in module.rendered().items():
        (tmp_path / name).write_text(text)
    assert module.stale_files(tmp_path) == []
    (tmp_path / "pricing.json").write_text("{}\n")
    (tmp_path / "README.md").unlink()
    assert module.stale_files(tmp_path) == ["README.md", "pricing.json"]


def test_every_service_of_the_platform_has_its_reference_and_every_path_is_listed() -> None:
    module = api_docs()
    documents = module.openapi_documents()
    assert set(documents) == {
        "identity",
        "product",
        "category",
        "pricing",
        "inventory",
        "catalog",
        "search",
        "promotion",
        "cart",
        "payment",
        "order",
        "customer",
        "notification",
        "console",
    }
    index = (ROOT / "docs" / "api" / "README.md").read_text()
    for document in documents.values():
        for path in document["paths"]:
            assert f"`{path}`" in index
