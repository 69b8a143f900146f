"""Prometheus metrics of one service instance: RED per route and version, events, outbox.

Each app gets its own registry (tests run several apps in one process); `/metrics` renders it,
to scrapers that present the token whose SHA-256 the instance was given (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def may_scrape(authorization: str | None, token_sha256: str | None) -> bool:
    """Whether `Authorization: Bearer <token>` names the scrape token; any caller when the
    instance was given none. The instance holds only the digest: it cannot scrape its peers."""
    if token_sha256 is None:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    return scheme.lower() == "bearer" and hmac.compare_digest(digest, token_sha256.lower())


class ServiceMetrics:
    """The collectors a service updates; names follow Prometheus conventions."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "bazaar_http_request_duration_seconds",
            "HTTP request latency by route template and status",
            ["service", "version", "method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_consumed = Counter(
            "bazaar_events_consumed_total",
            "Events taken from the bus by name (`<producer>.<event>`) and outcome (processed, "
            "duplicate, retried, failed, dead_lettered)",
            ["service", "version", "event", "outcome"],
            registry=self.registry,
        )
        self.outbox_published = Counter(
            "bazaar_outbox_published_total",
            "Events moved from the outbox to JetStream, by name (`<producer>.<event>`)",
            ["service", "version", "event"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "bazaar_outbox_backlog",
            "Events committed but not yet acknowledged by JetStream",
            ["service", "version"],
            registry=self.registry,
        )
        self.bus_connected = Gauge(
            "bazaar_bus_connected",
            "1 when the NATS connection is up",
            ["service", "version"],
            registry=self.registry,
        )

    def count_published(self, labels: tuple[str, str], name: str) -> None:
        """Count an event the outbox got into the stream."""
        self.outbox_published.labels(*labels, name).inc()
