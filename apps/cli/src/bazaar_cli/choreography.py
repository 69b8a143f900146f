"""The platform's choreographed flows: which facts make up each one. Who publishes and who
consumes each fact is NOT written here: scripts/choreography.py reads it from what every
service's definition declares, and `bazaar recall` watches the recall flow's facts live."""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bazaar_chassis import ServiceSettings
from bazaar_cli.platform import BUS_SERVICES


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str
    trigger: str  # the fact that starts it: `<producer>.<event>`
    facts: tuple[str, ...]  # the facts that follow, in the order they usually happen


CHECKOUT = Flow(
    name="checkout",
    title="Checkout (ADR 6): an order placed, completed or cancelled by the facts it causes",
    trigger="order.placed",
    facts=(
        "cart.ordered",
        "inventory.stock_reserved",
        "inventory.reservation_failed",
        "inventory.reservation_expired",
        "promotion.code_redeemed",
        "promotion.code_refused",
        "payment.authorized",
        "payment.captured",
        "payment.declined",
        "order.confirmed",
        "order.cancelled",
        "payment.voided",
        "payment.refunded",
    ),
)

RECALL = Flow(
    name="recall",
    title="Product recall (issue 10): one fact, and every interested service reacts on its own",
    trigger="product.recalled",
    facts=(
        "inventory.stock_quarantined",
        "inventory.stock_changed",
        "cart.recalled_lines_removed",
        "order.cancelled",
        "payment.voided",
        "payment.refunded",
        "notification.recall_notices_sent",
    ),
)

FLOWS = (CHECKOUT, RECALL)


@dataclass(frozen=True, slots=True)
class Declared:
    """What one service's definition declares on the bus, by fact name (`<producer>.<event>`)."""

    publishes: frozenset[str]
    consumes: frozenset[str]


def declared_facts() -> dict[str, Declared]:
    """Every bus service's declarations, read from its built (never started) app: the same
    definitions that `Component.publishes`/`consumes` must agree with (test_bus_provisioning)."""
    # Identity refuses to build without a key passphrase; no key is ever sealed here.
    os.environ.setdefault("BAZAAR_IDENTITY_KEY_PASSPHRASE", "choreography-only")
    found = {}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = ServiceSettings(data_dir=Path(data_dir))
        for component in BUS_SERVICES:
            service = importlib.import_module(f"{component.module}.service")
            definition = service.build_app(settings).state.runtime.definition
            found[component.name] = Declared(
                publishes=frozenset(t.rsplit(".", 1)[0] for t in definition.publishes),
                consumes=frozenset(definition.handlers),
            )
    return found
