"""Every answer the gateway gives is counted and traced, refusals (401/403/404/429) included:
by service, major, release, route template and status, in one span per request; and every
answer carries the request's id, the one its span, the service and the logs know it by.

The route template comes from the service (its `Bazaar-Route` header, dropped before the client
sees it); an answer the gateway gave itself is counted under the route `(refused)`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from bazaar_chassis.errors import DomainError
from bazaar_chassis.http_middleware import new_request_id
from bazaar_chassis.tracing import extract_context
from bazaar_gateway.proxy import Answered
from bazaar_gateway.state import Gateway

if TYPE_CHECKING:  # incoming.py reads REQUEST_ID from here
    from bazaar_gateway.incoming import Incoming

REQUEST_ID = web.RequestKey("request_id", str)
MAX_REQUEST_ID_CHARACTERS = 64  # what the console keeps of it
REFUSED_ROUTE = "(refused)"
ROUTE_HEADER = "bazaar-route"
NOBODY = "none"


@dataclass(slots=True)
class Answer:
    """What one request is counted as; filled in as forwarding learns it."""

    service: str = NOBODY
    major: str = NOBODY
    release: str = NOBODY
    route: str = REFUSED_ROUTE


def request_id_of(given: str | None) -> str:
    """The client's id for its request if it is a short printable token; otherwise a new one
    (it is stored with every span and log line of the request, so its size is the gateway's)."""
    if given and len(given) <= MAX_REQUEST_ID_CHARACTERS and _is_token(given):
        return given
    return new_request_id()


def _is_token(text: str) -> bool:
    return text.isascii() and text.isprintable() and " " not in text


@web.middleware
async def request_ids(request: web.Request, handler: Any) -> web.StreamResponse:
    """Name the request once, before anything answers it, and tell the client that name."""
    request[REQUEST_ID] = request_id = request_id_of(request.headers.get("x-request-id"))
    response: web.StreamResponse = await handler(request)
    if not response.prepared:
        response.headers["x-request-id"] = request_id
    return response


def release_of(gateway: Gateway, service: str, major: int) -> str:
    """The release that would have served `major` (for answers no instance gave), if only one
    does; `mixed` during a rollout, `none` if nothing serves it."""
    releases = {i.version for i in gateway.directory.candidates(service, major)}
    if len(releases) == 1:
        return releases.pop()
    return "mixed" if releases else NOBODY


async def observed(
    request: Incoming,
    gateway: Gateway,
    answer: Answer,
    handle: Callable[[], Awaitable[Answered]],
) -> Answered:
    """Run `handle` in the request's span (continuing the caller's trace) and count its answer.

    The span is a `RequestSpans` one, started and made current by hand, as the services'
    middleware does: the SDK's `start_as_current_span` goes through two generator context
    managers per request (~10 µs).
    An exception is recorded on the span; only a 5xx marks it an error (a refusal is not)."""
    started = time.perf_counter()
    status = 500
    span = gateway.spans.start(
        f"{request.method} {request.url.path}",
        extract_context(request.headers),  # case-insensitive: no lower-cased copy
    )
    current = otel_context.attach(trace.set_span_in_context(span))
    try:
        response = await handle()
        status = response.status
        return response
    except Exception as exc:
        if isinstance(exc, DomainError | web.HTTPException):
            status = exc.status
        span.record_exception(exc)
        raise
    finally:
        otel_context.detach(current)
        if answer.release == NOBODY and answer.major.isdecimal():  # no instance answered
            answer.release = release_of(gateway, answer.service, int(answer.major))
        recorded(
            gateway,
            span,
            answer,
            status=status,
            seconds=time.perf_counter() - started,
            method=request.method,
            path=request.url.path,
            request_id=request.request_id,
        )


def recorded(
    gateway: Gateway,
    span: trace.Span,
    answer: Answer,
    *,
    status: int,
    seconds: float,
    method: str,
    path: str | None,
    request_id: str,
) -> None:
    """Name, describe and end a request's `span` and count its answer, as every answer the
    gateway gives is (`path` is None for a request whose head never came whole); a span the
    sampler left out is only counted."""
    if span.is_recording():
        span.update_name(f"{method} {answer.route}")
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "http.route": answer.route,
            "http.response.status_code": status,
            "bazaar.target.service": answer.service,
            "bazaar.target.release": answer.release,
            "bazaar.request_id": request_id,
        }
        if path is not None:
            attributes["http.target"] = path
        if answer.major.isdecimal():
            attributes["bazaar.major"] = int(answer.major)
        span.set_attributes(attributes)
        if status >= 500:
            span.set_status(StatusCode.ERROR)
        span.end()
    gateway.metrics.observe(
        seconds,
        service=answer.service,
        major=answer.major,
        release=answer.release,
        method=method,
        route=answer.route,
        status=status,
    )
