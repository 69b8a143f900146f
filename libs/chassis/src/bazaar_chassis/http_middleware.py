"""One pure-ASGI middleware for what every request needs: request id, trace span, RED metrics,
and the `Bazaar-Served-By` header that tells a client which implementation version answered.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request's hot path.
"""

from __future__ import annotations

import time

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bazaar_chassis.metrics import ServiceMetrics
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.tracing import extract_context, time_ordered_id

UNOBSERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate"})
_NEW_TRACE = otel_context.Context()  # no caller's trace to continue: this request starts one


def new_request_id() -> str:
    """Unique, not secret, time-ordered like a trace id (the console indexes both)."""
    return f"{time_ordered_id():032x}"


def _read_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str | None, dict[str, str]]:
    """The caller's request id, and its W3C trace headers (empty when it sent none)."""
    request_id, carrier = None, {}
    for name, value in raw:
        if name == b"x-request-id":
            request_id = value.decode("latin-1")
        elif name in _TRACE_HEADERS:
            carrier[name.decode()] = value.decode("latin-1")
    return request_id, carrier


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
        spans: RequestSpans,
        unobserved: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self._unobserved = UNOBSERVED_PATHS | unobserved
        self._service = service
        self._version = version
        self._served_by = f"{service}/{version}".encode()
        self._metrics = metrics
        self._spans = spans
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def _route_template(self, scope: Scope) -> str:
        """The matched route's path template, with its API prefix (`/pricing/2/prices/{sku}`):
        a label that groups requests without exploding into one series per SKU."""
        route = getattr(scope.get("route"), "path", None)
        if not isinstance(route, str):
            return "unmatched"

        prefix = _major_prefix(scope["path"], self._service)
        return route if route.startswith(prefix) else prefix + route

    def _observe(self, method: str, route: str, status: int) -> Histogram:
        """The latency histogram's child for these labels, looked up once per combination
        (`labels()` takes a lock and builds its key on every call)."""
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._metrics.requests.labels(
                self._service, self._version, method, route, str(status)
            )
            self._children[key] = child
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._unobserved:
            await self.app(scope, receive, send)
            return
        given_id, carrier = _read_headers(scope["headers"])
        request_id = given_id or new_request_id()
        scope["bazaar.request_id"] = request_id
        method = scope["method"]
        status = 500
        route = ""
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status, route
            if message["type"] == "http.response.start":
                status = message["status"]
                route = self._route_template(scope)
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                    (b"bazaar-served-by", self._served_by),
                    # The route template, for the gateway's metrics (it drops the header).
                    (b"bazaar-route", route.encode()),
                ]
            await send(message)

        span = self._spans.start(
            f"{method} {scope['path']}", extract_context(carrier) if carrier else _NEW_TRACE
        )
        current = otel_context.attach(trace.set_span_in_context(span))
        logged = structlog.contextvars.bind_contextvars(
            request_id=request_id, trace_id=format(span.get_span_context().trace_id, "032x")
        )
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            structlog.contextvars.reset_contextvars(**logged)
            otel_context.detach(current)
            route = route or self._route_template(scope)
            span.update_name(f"{method} {route}")
            attributes: dict[str, str | int] = {
                "http.route": route,
                "http.response.status_code": status,
                "http.target": scope["path"],
                "bazaar.request_id": request_id,
            }
            major = _major_prefix(scope["path"], self._service).rpartition("/")[2]
            if major:
                attributes["bazaar.major"] = int(major)
            span.set_attributes(attributes)
            if status >= 500:
                span.set_status(trace.StatusCode.ERROR)
            span.end()
            self._observe(method, route, status).observe(time.perf_counter() - started)
