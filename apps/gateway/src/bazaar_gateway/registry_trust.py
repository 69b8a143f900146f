"""Which registry entries the gateway believes: the writer, the key and the claim must agree.

NATS lets a service's user write only `$KV.services.<itself>.>`, so the key's first token names
the writer; an entry whose `service` field claims anyone else (cart's key saying "identity") is
refused, as is an upstream URL the platform would never hand out (another host, userinfo, a
path) and, when the operator pinned them, an identity instance at any other address.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bazaar_chassis.registry import Instance

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class RegistryTrust:
    """`upstream_hosts`: where services may live; `pinned`: service -> the only URLs allowed."""

    upstream_hosts: frozenset[str] = frozenset({"127.0.0.1"})
    pinned: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, *, upstream_hosts: Collection[str], identity_urls: Collection[str]
    ) -> RegistryTrust:
        pinned = (
            {"identity": frozenset(u.rstrip("/") for u in identity_urls)} if identity_urls else {}
        )
        return cls(upstream_hosts=frozenset(h.lower() for h in upstream_hosts), pinned=pinned)

    def refusal(self, key: str, instance: Instance) -> str | None:
        """Why the entry stored under `key` must be ignored, or None if it may be routed to."""
        writer = key.split(".", 1)[0]
        if not _NAME.match(instance.service) or writer != instance.service:
            return f"the key belongs to {writer!r} but the entry claims {instance.service!r}"
        if key != instance.key:
            return f"the key is not <service>.<instance id> ({instance.key!r})"
        problem = self._url_problem(instance.url)
        if problem:
            return problem
        if instance.openapi_url != f"{instance.url}/openapi.json":
            return "the OpenAPI URL is not the instance's own"
        allowed = self.pinned.get(instance.service)
        if allowed is not None and instance.url not in allowed:
            return f"{instance.service} is pinned to {sorted(allowed)}, not {instance.url}"
        return None

    def _url_problem(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return f"the URL {url!r} does not parse"
        if parts.scheme != "http" or port is None:
            return f"the URL {url!r} is not http://<host>:<port>"
        if "@" in parts.netloc or parts.path or parts.query or parts.fragment:
            return f"the URL {url!r} carries userinfo, a path, a query or a fragment"
        if (parts.hostname or "") not in self.upstream_hosts:
            return f"the host of {url!r} is not one the platform hands out"
        return None
