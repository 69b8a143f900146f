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


SERVICES: tuple[Component, ...] = (
    Component("identity", "bazaar_identity"),
    Component("product", "bazaar_product"),
    Component("category", "bazaar_category"),
    Component("pricing", "bazaar_pricing"),
    Component("inventory", "bazaar_inventory"),
    Component("catalog", "bazaar_catalog"),
    Component("customer", "bazaar_customer"),
    Component("notification", "bazaar_notification"),
)
GATEWAY = Component("gateway", "bazaar_gateway", is_gateway=True)
