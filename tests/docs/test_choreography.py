"""docs/choreography.md is what the services declare now: scripts/choreography.py draws every
edge from their definitions, and this fails as soon as a service publishes or consumes a fact of
a flow without the document being regenerated."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from bazaar_cli.choreography import RECALL, Declared

ROOT = Path(__file__).resolve().parents[2]


def choreography() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "choreography", ROOT / "scripts" / "choreography.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_choreography_is_what_the_services_declare() -> None:
    assert not choreography().is_stale(ROOT / "docs" / "choreography.md"), (
        "docs/choreography.md is stale: run ./scripts/choreography"
    )


def test_a_new_consumer_of_a_flow_fact_changes_the_document() -> None:
    module = choreography()
    declared = {
        "product": Declared(publishes=frozenset({"product.recalled"}), consumes=frozenset()),
        "cart": Declared(publishes=frozenset(), consumes=frozenset()),
    }
    before = module.rendered(declared)
    declared["cart"] = Declared(publishes=frozenset(), consumes=frozenset({"product.recalled"}))
    after = module.rendered(declared)
    assert before != after
    assert "product_recalled --> svc_cart[cart]" in after
    assert "| `product.recalled` | product | cart |" in after


def test_every_fact_of_the_recall_has_a_publisher_and_the_recall_reaches_its_services() -> None:
    text = (ROOT / "docs" / "choreography.md").read_text()
    recall = text[text.index("## recall") :]
    for fact in (RECALL.trigger, *RECALL.facts):
        row = next(line for line in recall.splitlines() if line.startswith(f"| `{fact}`"))
        assert row.split("|")[2].strip() != "—", f"nobody publishes {fact}"
    trigger_row = next(
        line for line in recall.splitlines() if line.startswith("| `product.recalled`")
    )
    for service in ("catalog", "inventory", "cart", "order", "notification"):
        assert service in trigger_row.split("|")[3]
