"""One pure-ASGI middleware for what every request needs: request id, trace span, RED metrics,
and the `Bazaar-Served-By` header that tells a client which implementation version answered.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request's hot path.
"""

from __future__ import annotations

import time
import uuid

import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bazaar_chassis.metrics import ServiceMetrics
from bazaar_chassis.tracing import extract_context

UNOBSERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _major_prefix(path: str, service: str) -> str:
    """`/pricing/2` for `/pricing/2/prices/A`; "" for platform paths."""
    parts = path.split("/", 3)
    if len(parts) >= 3 and parts[1] == service and parts[2].isdigit():
        return f"/{service}/{parts[2]}"
    return ""


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        version: str,
        metrics: ServiceMetrics,
        tracer: Tracer,
        unobserved: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self._unobserved = UNOBSERVED_PATHS | unobserved
        self._service = service
        self._version = version
        self._served_by = f"{service}/{version}".encode()
        self._metrics = metrics
        self._tracer = tracer

    def _route_template(self, scope: Scope) -> str:
        """The matched route's path template, with its API prefix (`/pricing/2/prices/{sku}`):
        a label that groups requests without exploding into one series per SKU."""
        route = getattr(scope.get("route"), "path", None)
        if not isinstance(route, str):
            return "unmatched"

        prefix = _major_prefix(scope["path"], self._service)
        return route if route.startswith(prefix) else prefix + route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:

        if scope["type"] != "http" or scope["path"] in self._unobserved:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        scope["bazaar.request_id"] = request_id
        method = scope["method"]
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                response_headers["x-request-id"] = request_id
                response_headers.raw.append((b"bazaar-served-by", self._served_by))
                # The route template, for the gateway's metrics (it drops the header).
                response_headers["bazaar-route"] = self._route_template(scope)
            await send(message)

        with self._tracer.start_as_current_span(
            f"{method} {scope['path']}", context=extract_context(headers), kind=SpanKind.SERVER
        ) as span:
            trace_id = format(span.get_span_context().trace_id, "032x")
            with structlog.contextvars.bound_contextvars(request_id=request_id, trace_id=trace_id):
                try:
                    await self.app(scope, receive, send_with_headers)
                finally:
                    route = self._route_template(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    span.set_attribute("http.target", scope["path"])
                    span.set_attribute("bazaar.request_id", request_id)
                    major = _major_prefix(scope["path"], self._service).rpartition("/")[2]
                    if major:
                        span.set_attribute("bazaar.major", int(major))
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
                    self._metrics.requests.labels(
                        self._service, self._version, method, route, str(status)
                    ).observe(time.perf_counter() - started)
