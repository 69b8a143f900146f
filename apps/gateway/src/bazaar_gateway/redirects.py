"""Services never send a client to an internal address: such `Location` headers are dropped.

A service behind the gateway knows only its own loopback URL; a redirect naming it would tell an
outsider an internal port (and fail for them anyway), so the gateway removes it and logs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from multidict import CIMultiDict

from bazaar_gateway.directory import ServiceDirectory

_log = structlog.get_logger("bazaar.gateway")


def drop_internal_locations(headers: CIMultiDict[str], directory: ServiceDirectory) -> None:
    """Remove `Location` values that point at any registered instance's address."""
    locations = headers.getall("Location", [])
    if not locations:
        return
    internal = {urlsplit(i.url).netloc.lower() for i in directory.alive()}
    kept = [loc for loc in locations if urlsplit(loc).netloc.lower() not in internal]
    if len(kept) == len(locations):
        return
    _log.warning("dropped a redirect to an internal address", locations=locations)
    headers.popall("Location")
    for location in kept:
        headers.add("Location", location)
