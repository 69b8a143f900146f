"""The catch-all handler: every public request to a service goes through `forward`."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

from aiohttp import web
from multidict import CIMultiDict

from bazaar_chassis.caller import IDENTITY_HEADER
from bazaar_gateway.app import GATEWAY, Gateway
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import (
    UpstreamBusy,
    UpstreamReply,
    UpstreamTimeout,
    UpstreamUnreachable,
    forwardable,
    to_response,
)
from bazaar_gateway.routing import BadVersion, parse

# Never forwarded from the client: the identity assertion is the gateway's to make, and the
# bearer token has done its job once the gateway has verified it.
STRIPPED = (IDENTITY_HEADER, "authorization", "cookie")


async def forward(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        address = parse(request.path, request.query)
    except BadVersion as exc:
        return problem(400, "Bad version", str(exc), slug="bad-version")
    if address is None:
        return problem(404, "Not found", "the path names no service", slug="unknown-service")
    gateway = request.app[GATEWAY]
    view = gateway.directory.view(address.service)
    if view is None:
        known = address.service in gateway.directory.known
        return problem(
            503 if known else 404,
            "Service unavailable" if known else "Not found",
            f"no live instance of {address.service!r}"
            if known
            else f"no service named {address.service!r}",
            slug="no-instance" if known else "unknown-service",
        )
    major = address.major or view.default_major
    if major not in view.majors:
        live = ", ".join(str(m) for m in view.majors)
        return problem(
            404,
            "Unknown version",
            f"{address.service} has no live major {major}; live majors: {live}",
            slug="unknown-version",
        )
    upstream_path = address.upstream_path(major)
    caller = await gateway.admission.admit(
        authorization=request.headers.get("Authorization"),
        remote=request.remote,
        method=request.method,
        path=upstream_path,
    )
    body = await request.read()
    headers = forwardable(request.headers)
    for name in STRIPPED:
        headers.popall(name, None)
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    headers["x-request-id"] = request_id
    headers["x-forwarded-for"] = request.remote or ""
    query = urlencode(list(address.query.items())) if address.query else ""
    headers[IDENTITY_HEADER] = gateway.signer.assertion(
        caller, audience=address.service, method=request.method, path=upstream_path, query=query
    )
    path_qs = upstream_path + ("?" + query if query else "")
    extra = {"x-request-id": request_id}
    if major in view.deprecated_majors:
        extra["Deprecation"] = "true"

    status, version = 503, "none"
    try:
        reply = await _send_with_one_retry(
            gateway, request.method, address.service, major, path_qs, headers, body
        )
        status = reply.status
        version = reply.headers.get("bazaar-served-by", "/unknown").rsplit("/", 1)[-1]
        return to_response(reply, extra)
    except UpstreamBusy:
        return problem(
            503,
            "Service saturated",
            f"{address.service} is at its in-flight limit; retry shortly",
            slug="upstream-busy",
            headers={"Retry-After": "1"},
        )
    except UpstreamUnreachable:
        return problem(
            503,
            "Service unavailable",
            f"no instance of {address.service} major {major} could be reached",
            slug="no-instance",
        )
    except UpstreamTimeout:
        status = 504
        return problem(
            504,
            "Upstream timeout",
            f"{address.service} did not answer in time",
            slug="upstream-timeout",
        )
    finally:
        gateway.metrics.requests.labels(
            address.service, str(major), version, request.method, str(status)
        ).observe(time.perf_counter() - started)


async def _send_with_one_retry(
    gateway: Gateway,
    method: str,
    service: str,
    major: int,
    path_qs: str,
    headers: CIMultiDict[str],
    body: bytes,
) -> UpstreamReply:
    instance = gateway.directory.pick(service, major)
    if instance is None:
        raise UpstreamUnreachable(service)
    try:
        return await gateway.upstreams.send(
            instance,
            method=method,
            path_qs=path_qs,
            headers=headers,
            body=body,
        )
    except UpstreamUnreachable:
        retry = gateway.directory.pick(service, major, avoid=frozenset({instance.key}))
        if retry is None:
            raise
        return await gateway.upstreams.send(
            retry,
            method=method,
            path_qs=path_qs,
            headers=headers,
            body=body,
        )
