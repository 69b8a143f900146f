"""The storefront's pages behind the gateway: `/` and everything under `/shop/` go to it.

The storefront is a client of the public API like any other (it calls back through this
gateway with the shopper's own token), so it gets no identity assertion and no credential;
its session cookie reaches it and only it (services never receive cookies), and its answers are
passed back as they are, its `Set-Cookie` included. Page requests are rate-limited per address.
"""

from __future__ import annotations

from aiohttp import web

from bazaar_chassis.caller import IDENTITY_HEADER
from bazaar_chassis.registry import Instance
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import (
    UpstreamBusy,
    UpstreamTimeout,
    UpstreamUnreachable,
    as_response,
    forwardable,
)
from bazaar_gateway.state import GATEWAY
from bazaar_gateway.upstream_pool import HOP_BY_HOP

STOREFRONT = web.AppKey("storefront", Instance)
# The shop's own cookies go through; the gateway's assertion and a bearer token do not.
NOT_FORWARDED = HOP_BY_HOP.union((IDENTITY_HEADER, "authorization"))
PATHS = ("/", "/shop", "/shop/{tail:.*}")


async def to_storefront(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    wait = gateway.admission.limiter.retry_after(f"ip:{request.remote}")
    if wait:
        seconds = str(max(1, round(wait + 0.5)))
        return problem(
            429,
            "Too many requests",
            "slow down",
            slug="rate-limited",
            headers={"Retry-After": seconds},
        )
    headers = forwardable(request.headers, dropped=NOT_FORWARDED)
    headers["x-forwarded-for"] = request.remote or ""
    try:
        reply = await gateway.upstreams.send(
            request.app[STOREFRONT],
            method=request.method,
            path_qs=request.rel_url.raw_path_qs,
            headers=headers,
            body=await request.read(),
        )
    except (UpstreamBusy, UpstreamUnreachable, UpstreamTimeout):
        return problem(
            503,
            "Shop unavailable",
            "the storefront cannot answer now; retry shortly",
            slug="storefront-unavailable",
            headers={"Retry-After": "1"},
        )
    return as_response(reply)


def add_storefront_routes(app: web.Application, url: str) -> None:
    """Route the storefront's paths to the one storefront at `url` (before the catch-all)."""
    app[STOREFRONT] = Instance(
        service="storefront",
        version="",
        instance_id="storefront",
        url=url.rstrip("/"),
        majors=[],
        default_major=0,
        openapi_url="",
    )
    for path in PATHS:
        app.router.add_route("*", path, to_storefront)
