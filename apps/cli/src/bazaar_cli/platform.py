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


SERVICES: tuple[Component, ...] = (
    Component("identity", "bazaar_identity"),
    Component("product", "bazaar_product"),
    Component("category", "bazaar_category"),
    Component("pricing", "bazaar_pricing"),
    Component("inventory", "bazaar_inventory"),
    Component("catalog", "bazaar_catalog"),
    Component("promotion", "bazaar_promotion"),
    Component("cart", "bazaar_cart"),
    # the test card processor payment calls (an outside system, so started before payment)
    Component("payment-provider", "bazaar_payment_provider", on_bus=False),
    Component("payment", "bazaar_payment"),
    Component("order", "bazaar_order"),
)
BUS_SERVICES = tuple(c for c in SERVICES if c.on_bus)
GATEWAY = Component("gateway", "bazaar_gateway", is_gateway=True)
