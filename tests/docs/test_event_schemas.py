"""The event contracts in docs/events/ are what the producers' code publishes now: built from each
producer's payload models by scripts/api_docs.py, it fails here as soon as a payload changes
without them."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def event_docs() -> Any:
    """scripts/api_docs.py's functions, by name (it is a script, not a package)."""
    return type("ApiDocs", (), runpy.run_path(str(ROOT / "scripts" / "api_docs.py")))


def test_the_committed_event_contracts_are_what_the_producers_payload_models_say() -> None:
    stale = event_docs().stale_event_files(ROOT / "docs" / "events")
    assert not stale, f"docs/events is stale ({', '.join(stale)}): run ./scripts/api-docs"


def test_a_changed_schema_is_reported_stale(tmp_path: Path) -> None:
    module = event_docs()
    for name, text in module.rendered_events().items():
        (tmp_path / name).write_text(text)
    assert module.stale_event_files(tmp_path) == []
    contract = json.loads((tmp_path / "pricing.json").read_text())
    del contract["events"]["pricing.price_changed.v1"]["properties"]["base_prices"]
    (tmp_path / "pricing.json").write_text(json.dumps(contract))
    assert module.stale_event_files(tmp_path) == ["pricing.json"]


def test_every_published_major_has_its_schema() -> None:
    pricing = json.loads((ROOT / "docs" / "events" / "pricing.json").read_text())
    assert set(pricing["events"]) == {"pricing.price_changed.v1", "pricing.price_changed.v2"}
    assert "currencies" in pricing["events"]["pricing.price_changed.v2"]["properties"]
