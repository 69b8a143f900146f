"""What `bazaar up` runs: every service as its own OS process, then the gateway.

Adding a service to the embedded platform is one line here; the service itself needs nothing
from the others to start (M3).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    module: str  # run as `python -m <module>`
    is_gateway: bool = False
    on_bus: bool = True  # False: not a Bazaar service (no NATS, no database, not routed)
    # What its ServiceDefinition declares on the bus (a test keeps the two equal): the operator
    # provisions a stream for each producer, and a service may bind durables only on the
    # streams it consumes.
    publishes: bool = False
    consumes: tuple[str, ...] = ()
    # Reads the whole bus (registry, streams' and durables' state, dead letters): the console.
    observes: bool = False


SERVICES: tuple[Component, ...] = (
    # first: every process started after it exports its spans to it
    Component("console", "bazaar_console", observes=True),
    Component("identity", "bazaar_identity", publishes=True),
    Component("product", "bazaar_product", publishes=True),
    Component("category", "bazaar_category", publishes=True),
    Component("pricing", "bazaar_pricing", publishes=True),
    Component("inventory", "bazaar_inventory", publishes=True, consumes=("order", "product")),
    Component(
        "catalog", "bazaar_catalog", consumes=("category", "inventory", "pricing", "product")
    ),
    Component("search", "bazaar_search", consumes=("category", "inventory", "pricing", "product")),
    Component("promotion", "bazaar_promotion", publishes=True, consumes=("order",)),
    Component("cart", "bazaar_cart", publishes=True, consumes=("order", "product", "promotion")),
    # the test card processor payment calls (an outside system, so started before payment)
    Component("payment-provider", "bazaar_payment_provider", on_bus=False),
    Component(
        "payment", "bazaar_payment", publishes=True, consumes=("inventory", "order", "promotion")
    ),
    Component(
        "order",
        "bazaar_order",
        publishes=True,
        consumes=("inventory", "payment", "product", "promotion"),
    ),
    Component("customer", "bazaar_customer", consumes=("identity", "order")),
    Component("notification", "bazaar_notification", publishes=True, consumes=("order", "product")),
    # the shoppers' web client: it calls only the gateway's public routes, which serve it at `/`
    Component("storefront", "bazaar_storefront", on_bus=False),
)
BUS_SERVICES = tuple(c for c in SERVICES if c.on_bus)
GATEWAY = Component("gateway", "bazaar_gateway", is_gateway=True)
