"""From a public URL to (service, major, upstream path): the gateway's addressing rules, pure.

/pricing/2/prices/A          -> pricing, major 2, /pricing/2/prices/A
/pricing/prices/A?version=2  -> pricing, major 2, /pricing/2/prices/A   (version removed)
/pricing/prices/A            -> pricing, its default major
"""

from __future__ import annotations

from dataclasses import dataclass

from multidict import MultiDict, MultiMapping


class BadVersion(ValueError):
    """`?version=` is not a positive integer."""


@dataclass(frozen=True, slots=True)
class Address:
    service: str
    major: int | None  # None: the service's default major
    rest: str  # the path after service and major, starting with "/" (or "")
    query: MultiDict[str]

    def upstream_path(self, major: int) -> str:
        return f"/{self.service}/{major}{self.rest}"


def parse(path: str, query: MultiMapping[str]) -> Address | None:
    """The address of a service route, or None for a path that names no service."""
    parts = path.split("/", 3)  # "", service, maybe-major, rest
    if len(parts) < 2 or not parts[1]:
        return None
    service = parts[1]
    remaining_query = MultiDict(query)
    major: int | None = None
    if len(parts) >= 3 and parts[2].isdigit():
        major = int(parts[2])
        rest = "/" + parts[3] if len(parts) == 4 else ""
    else:
        rest = "/" + "/".join(parts[2:]) if len(parts) >= 3 else ""
    if "version" in remaining_query:
        requested = remaining_query.popall("version")[-1]
        if not requested.isdigit() or int(requested) < 1:
            raise BadVersion(f"version must be a positive integer major, got {requested!r}")
        if major is None:
            major = int(requested)
    return Address(service=service, major=major, rest=rest, query=remaining_query)
