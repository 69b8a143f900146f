"""The operator's step before any service starts: the bus's streams and buckets exist, as the
platform needs them, and no service is able to create or change one (M7).

`bazaar up` runs it against the embedded server with the operator's NATS user (and again after
restarting that server); `bazaar provision` runs it against a production server.
"""

from __future__ import annotations

from bazaar_cli.platform import SERVICES
from bazaar_platform.provisioning import provision_server, run_blocking


def platform_producers() -> list[str]:
    """Every service with a stream of its own."""
    return [c.name for c in SERVICES if c.publishes]


def platform_consumption() -> dict[str, tuple[str, ...]]:
    """Service -> the producers whose streams it may bind its durable consumer on."""
    return {c.name: c.consumes for c in SERVICES if c.consumes}


def platform_observers() -> dict[str, list[str]]:
    """Observer (the console) -> the producers whose streams and durables it may look at."""
    return {c.name: platform_producers() for c in SERVICES if c.observes}


def provision_bus(url: str, *, user: str, password: str | None, replicas: int = 1) -> list[str]:
    """Create or update every stream and bucket of the platform; returns their names."""
    return run_blocking(
        provision_server(url, platform_producers(), user=user, password=password, replicas=replicas)
    )
