"""What every gateway request handler shares, built once per process: the `Gateway`.

The bus, the live service directory, the upstream pools, the policy, admission, the assertion
signer and the metrics; handlers reach it as `request.app[GATEWAY]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from typing import Any

from aiohttp import web
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, Histogram

from bazaar_chassis.bus import Bus
from bazaar_chassis.metrics import LATENCY_BUCKETS
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.tracing import build_tracer_provider
from bazaar_gateway.access import Admission
from bazaar_gateway.authentication import Authenticator
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.jwks import SELF, IdentityJwks
from bazaar_gateway.major_traffic import MajorTraffic
from bazaar_gateway.policy_store import PolicyStore
from bazaar_gateway.proxy import Upstreams
from bazaar_gateway.rate_limit import RateLimiter
from bazaar_gateway.registry_trust import RegistryTrust
from bazaar_gateway.retirements import RetiredMajors
from bazaar_gateway.revocation import IdentityRevocations
from bazaar_gateway.settings import GatewaySettings
from bazaar_platform.assertions import AssertionSigner

STANDARD_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
OTHER_METHOD = "_OTHER"  # OpenTelemetry's name for a method outside HTTP's standard ones
ROUTES_PER_SERVICE = 200
OTHER_ROUTE = "(other)"


class GatewayMetrics:
    """The gateway's request histogram, whose labels stay bounded whoever sends what.

    A client chooses the method and the path and a service its `Bazaar-Route` header, and each
    new label value is a new time series held for the life of the process: the service and
    major name only what the directory knows (forwarding.py); a method outside HTTP's standard
    ones (the parser takes some thirty, WebDAV's among them) counts as `_OTHER`; a service's
    first ROUTES_PER_SERVICE route templates are its own, the rest `(other)`. Each label set's
    child is looked up once (`labels()` takes a lock and builds its key on every call).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "bazaar_gateway_request_duration_seconds",
            "Every answer of the gateway, refusals included, by service, major, release, route "
            "template and status",
            ["service", "major", "release", "method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._routes: dict[str, set[str]] = {}
        self._children: dict[tuple[str, ...], Histogram] = {}

    def observe(
        self,
        seconds: float,
        *,
        service: str,
        major: str,
        release: str,
        method: str,
        route: str,
        status: int,
    ) -> None:
        if method not in STANDARD_METHODS:
            method = OTHER_METHOD
        routes = self._routes.get(service)
        if routes is None:
            routes = self._routes[service] = set()
        if route not in routes:
            if len(routes) < ROUTES_PER_SERVICE:
                routes.add(route)
            else:
                route = OTHER_ROUTE
        labels = (service, major, release, method, route, str(status))
        child = self._children.get(labels)
        if child is None:
            child = self._children[labels] = self.requests.labels(*labels)
        child.observe(seconds)


@dataclass
class Gateway:
    """Everything a request handler needs, built once per process."""

    settings: GatewaySettings
    bus: Bus
    directory: ServiceDirectory
    upstreams: Upstreams
    policies: PolicyStore
    admission: Admission
    signer: AssertionSigner
    metrics: GatewayMetrics
    tracer_provider: TracerProvider
    retired: RetiredMajors = field(default_factory=RetiredMajors)
    traffic: MajorTraffic = field(default_factory=MajorTraffic)  # who calls which major
    # each instance's OpenAPI document, fetched once per (service, version): openapi.py
    documents: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @cached_property
    def spans(self) -> RequestSpans:
        """Made once: `get_tracer` builds a new tracer (and scope) on every call."""
        return RequestSpans(self.tracer_provider, scope="bazaar-gateway", version=RELEASE)


GATEWAY = web.AppKey("gateway", Gateway)
RELEASE = version("bazaar-gateway")


def build_gateway(settings: GatewaySettings) -> Gateway:
    bus = Bus(
        url=settings.nats_url,
        name="gateway",
        user=settings.nats_user,
        password=settings.nats_password,
    )
    policies = PolicyStore()
    directory = ServiceDirectory(
        RegistryTrust.of(
            upstream_hosts=settings.upstream_hosts, identity_urls=settings.identity_urls
        )
    )
    upstreams = Upstreams(
        timeout_seconds=settings.upstream_timeout_seconds,
        max_in_flight=settings.upstream_max_in_flight,
        queue_seconds=settings.upstream_queue_seconds,
    )
    signer = AssertionSigner(settings.assertion_secret_bytes())
    authenticator = Authenticator(
        fetch_jwks=IdentityJwks(directory, upstreams, signer),
        issuer=settings.identity_issuer,
        fetch_revocations=IdentityRevocations(directory, upstreams, signer, SELF),
    )
    return Gateway(
        settings=settings,
        bus=bus,
        directory=directory,
        upstreams=upstreams,
        policies=policies,
        admission=Admission(
            authenticator=authenticator,
            limiter=RateLimiter(
                rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
            ),
            policies=policies,
        ),
        signer=signer,
        metrics=GatewayMetrics(),
        tracer_provider=build_tracer_provider(
            service="gateway", version=RELEASE, otlp_endpoint=settings.otlp_endpoint
        ),
    )
