"""What the gateway tells a client about the release and the major that served its request.

`Bazaar-Served-By: <service>/<release>` names the instance that answered; a deprecated major
adds `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a `Link` to the same path on its successor.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from email.utils import format_datetime

from bazaar_chassis.registry import Deprecation, Instance
from bazaar_gateway.directory import ServiceView
from bazaar_gateway.routing import Address

SERVED_BY = "Bazaar-Served-By"


def served_by(instance: Instance) -> dict[str, str]:
    return {SERVED_BY: f"{instance.service}/{instance.version}"}


def deprecation_headers(
    view: ServiceView, *, address: Address, major: int, raw_query: str
) -> dict[str, str]:
    """The headers of a reply from `major` (none unless that major is deprecated)."""
    if major not in view.deprecated_majors:
        return {}
    headers: dict[str, str] = {}
    deprecation: Deprecation | None = view.deprecations.get(major)
    if deprecation is not None:
        since = datetime.combine(deprecation.since, time.min, tzinfo=UTC)
        sunset = datetime.combine(deprecation.sunset, time.min, tzinfo=UTC)
        headers["Deprecation"] = f"@{int(since.timestamp())}"
        headers["Sunset"] = format_datetime(sunset, usegmt=True)
    else:  # an instance that declares no dates: say it is deprecated, without a date
        headers["Deprecation"] = "@0"
    successor = view.successor(major)
    if successor is not None:
        target = address.raw_upstream_path(successor) + ("?" + raw_query if raw_query else "")
        headers["Link"] = f'<{target}>; rel="successor-version"'
    return headers
