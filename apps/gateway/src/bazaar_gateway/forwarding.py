"""The catch-all handler: every public request to a service goes through `forward`.

Its steps: address the request (400 for an ambiguous path), admit the caller on that path, then
find the live major (404/503, with the topology for operators only), send the raw path that was
authorized with one retry on another instance if the first could not be reached, answer.
They read the request as an `Incoming` (incoming.py), not as aiohttp's request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict

from bazaar_chassis.caller import IDENTITY_HEADER, Caller
from bazaar_chassis.errors import Forbidden, Unauthorized
from bazaar_chassis.registry import Instance
from bazaar_chassis.unit_of_work import current_traceparent
from bazaar_gateway.canonical import AmbiguousPath
from bazaar_gateway.directory import ServiceView
from bazaar_gateway.incoming import Incoming, incoming
from bazaar_gateway.major_traffic import caller_label
from bazaar_gateway.observability import ROUTE_HEADER, Answer, observed
from bazaar_gateway.openapi import undeclared_method
from bazaar_gateway.operators import is_operator
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import (
    Answered,
    UpstreamBusy,
    UpstreamReply,
    UpstreamTimeout,
    UpstreamUnreachable,
    as_response,
    forwardable,
    with_headers,
)
from bazaar_gateway.redirects import drop_internal_locations
from bazaar_gateway.routing import Address, BadVersion, parse, query_without_version
from bazaar_gateway.state import GATEWAY, Gateway
from bazaar_gateway.upstream_pool import HOP_BY_HOP
from bazaar_gateway.versions import deprecation_headers, served_by

# Never forwarded from the client, besides the hop-by-hop headers: the identity assertion is the
# gateway's to make, and the bearer token has done its job once the gateway has verified it;
# the request id and the client's address are the gateway's to say, and a trace state belongs
# to the parent span, which is the gateway's.
NOT_FORWARDED = HOP_BY_HOP.union(
    (IDENTITY_HEADER, "authorization", "cookie", "x-request-id", "x-forwarded-for", "tracestate")
)


class Refused(Exception):
    """The gateway answers this request itself, with `response`."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(slots=True)
class Route:
    """Where one admitted request goes, and what to count it as."""

    address: Address
    major: int
    path: str  # what was authorized (decoded)
    path_qs: str  # what the service receives: the same path, raw, and the client's raw query
    extra_headers: dict[str, str] = field(default_factory=dict)
    sticky_key: str = ""  # who keeps this caller on one release: its subject, a guest's address

    @property
    def service(self) -> str:
        return self.address.service


def _address(request: Incoming) -> Address:
    """The address of the request, or Refused: 400 for an ambiguous path or a bad version."""
    try:
        if "#" in request.target:
            raise AmbiguousPath("a request target carries no fragment ('#')")
        address = parse(request.url.raw_path, request.url.query)
    except AmbiguousPath as exc:
        raise Refused(problem(400, "Ambiguous path", str(exc), slug="ambiguous-path")) from exc
    except BadVersion as exc:
        raise Refused(problem(400, "Bad version", str(exc), slug="bad-version")) from exc
    if address is None:
        raise Refused(
            problem(404, "Not found", "the path names no service", slug="unknown-service")
        )
    return address


def _not_routable(
    gateway: Gateway, address: Address, view: ServiceView | None, major: int, *, operator: bool
) -> Refused:
    """Why an admitted request has nowhere to go; the topology only for operators."""
    if view is not None:  # the service is live, the major is not
        live = ", ".join(str(m) for m in view.majors)
        detail = f"{address.service} has no live major {major}; live majors: {live}"
        return Refused(
            problem(
                404,
                "Unknown version",
                detail if operator else "nothing answers this path",
                slug="unknown-version",
            )
        )
    if address.service in gateway.directory.known:
        detail = f"no live instance of {address.service!r}"
        return Refused(
            problem(
                503,
                "Service unavailable",
                detail if operator else "this path cannot be served now; retry shortly",
                slug="no-instance",
                headers={"Retry-After": "1"},
            )
        )
    detail = f"no service named {address.service!r}"
    return Refused(
        problem(
            404,
            "Not found",
            detail if operator else "nothing answers this path",
            slug="unknown-service",
        )
    )


def _default_major(gateway: Gateway, view: ServiceView | None) -> int:
    """The service's default major; once that is retired, the next live major up."""
    if view is None:
        return 1
    routable = gateway.retired.routable(view.name, view.majors)
    if view.default_major in routable or not routable:
        return view.default_major
    return next((m for m in routable if m > view.default_major), routable[-1])


def _retired(gateway: Gateway, view: ServiceView, major: int) -> Refused:
    """A retired major is public knowledge, and so are the majors its clients should move to."""
    live = ", ".join(f"v{m}" for m in gateway.retired.routable(view.name, view.majors)) or "none"
    detail = f"{view.name} v{major} is retired; live majors: {live}"
    return Refused(problem(404, "Retired version", detail, slug="retired-version"))


async def _admitted_route(
    request: Incoming, gateway: Gateway, answer: Answer
) -> tuple[Caller, Route]:
    """Authorize the path first, then tell whether it exists (so guests learn no topology)."""
    address = _address(request)
    view = gateway.directory.view(address.service)
    major = address.major if address.major is not None else _default_major(gateway, view)
    if address.service in gateway.directory.known:  # labels name only what exists: bounded
        answer.service = address.service
        if view is not None and major in view.majors:
            answer.major = str(major)
    try:
        caller = await gateway.admission.admit(
            authorization=request.headers.get("Authorization"),
            remote=request.remote,
            method=request.method,
            path=address.upstream_path(major),
        )
    except (Unauthorized, Forbidden):
        await _refuse_undeclared_method(gateway, request.method, address, major)
        raise
    if view is not None and major in view.majors:  # live majors only: the counts stay bounded
        gateway.traffic.record(address.service, major, caller_label(caller, request.remote))
        if gateway.retired.is_retired(address.service, major):
            raise _retired(gateway, view, major)
    if view is None or major not in view.majors:
        raise _not_routable(gateway, address, view, major, operator=is_operator(gateway, caller))
    query = query_without_version(request.url.raw_query_string)
    path_qs = address.raw_upstream_path(major) + ("?" + query if query else "")
    return caller, Route(
        address=address,
        major=major,
        path=address.upstream_path(major),
        path_qs=path_qs,
        extra_headers=deprecation_headers(view, address=address, major=major, raw_query=query),
        sticky_key=request.remote if caller.kind == "guest" else caller.subject,
    )


async def _refuse_undeclared_method(
    gateway: Gateway, method: str, address: Address, major: int
) -> None:
    """A method the path's public document does not list is a 405, whoever asks: the document
    is public, so this tells nobody anything new."""
    allowed = await undeclared_method(
        gateway, method, service=address.service, major=major, path=address.upstream_path(major)
    )
    if allowed is not None:
        detail = f"{address.upstream_path(major)} answers {', '.join(allowed)}"
        raise Refused(
            problem(
                405,
                "Method not allowed",
                detail,
                slug="http-405",
                headers={"Allow": ", ".join(allowed)},
            )
        )


def _upstream_headers(
    request: Incoming, *, gateway: Gateway, caller: Caller, route: Route
) -> CIMultiDict[str]:
    headers = forwardable(request.headers, dropped=NOT_FORWARDED)
    headers["x-request-id"] = request.request_id
    headers["x-forwarded-for"] = request.remote
    if traceparent := current_traceparent():  # the gateway's span is the service's parent
        headers["traceparent"] = traceparent
    query = route.path_qs.partition("?")[2]
    headers[IDENTITY_HEADER] = gateway.signer.assertion(
        caller, audience=route.service, method=request.method, path=route.path, query=query
    )
    return headers


async def forward(request: web.Request) -> web.StreamResponse:
    return as_response(await forward_incoming(request.app[GATEWAY], incoming(request)))


async def forward_incoming(gateway: Gateway, request: Incoming) -> Answered:
    """The answer to `request`: the service's, or the gateway's refusal or problem."""
    answer = Answer()

    async def handle() -> Answered:
        try:
            caller, route = await _admitted_route(request, gateway, answer)
        except Refused as refused:
            return refused.response
        body = await request.read()
        headers = _upstream_headers(request, gateway=gateway, caller=caller, route=route)
        return await _answer(gateway, request.method, route, headers, body, answer)

    return await observed(request, gateway, answer, handle)


async def _answer(
    gateway: Gateway,
    method: str,
    route: Route,
    headers: CIMultiDict[str],
    body: bytes,
    answer: Answer,
) -> Answered:
    """The service's reply, or the gateway's problem when no instance answered in time."""
    try:
        instance, reply = await _send_with_one_retry(gateway, method, route, headers, body)
    except UpstreamBusy:
        return problem(
            503,
            "Service saturated",
            f"{route.service} is at its in-flight limit; retry shortly",
            slug="upstream-busy",
            headers={"Retry-After": "1"},
        )
    except UpstreamUnreachable:
        return problem(
            503,
            "Service unavailable",
            f"no instance of {route.service} major {route.major} could be reached",
            slug="no-instance",
        )
    except UpstreamTimeout:
        return problem(
            504,
            "Upstream timeout",
            f"{route.service} did not answer in time",
            slug="upstream-timeout",
        )
    drop_internal_locations(reply.headers, gateway.directory)
    answer.release = instance.version
    answer.route = reply.headers.popone(ROUTE_HEADER, "unmatched")
    return with_headers(reply, {**route.extra_headers, **served_by(instance)})


async def _send_with_one_retry(
    gateway: Gateway,
    method: str,
    route: Route,
    headers: CIMultiDict[str],
    body: bytes,
) -> tuple[Instance, UpstreamReply]:
    """The instance that answered and its reply."""
    instance = gateway.directory.pick(route.service, route.major, caller=route.sticky_key)
    if instance is None:
        raise UpstreamUnreachable(route.service)
    try:
        return instance, await gateway.upstreams.send(
            instance, method=method, path_qs=route.path_qs, headers=headers, body=body
        )
    except UpstreamUnreachable:
        retry = gateway.directory.pick(
            route.service, route.major, caller=route.sticky_key, avoid=frozenset({instance.key})
        )
        if retry is None:
            raise
        return retry, await gateway.upstreams.send(
            retry, method=method, path_qs=route.path_qs, headers=headers, body=body
        )
