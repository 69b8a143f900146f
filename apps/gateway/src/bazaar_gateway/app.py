"""The gateway application: wiring and lifecycle.

Each public request: address → admission (authenticate, rate-limit, authorize against the live
policy) → pick a live instance → forward with a signed identity assertion → answer.
`state.py` holds what handlers share, `own_routes.py` the gateway's own routes, `forwarding.py`
the catch-all that forwards to services. `front.py` reads the clients' connections before this
app does (ADR 10).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from nats.aio.msg import Msg

from bazaar_chassis.bus import Bus
from bazaar_gateway.console_session import add_console_session_routes
from bazaar_gateway.forwarding import forward
from bazaar_gateway.observability import request_ids
from bazaar_gateway.openapi import add_openapi_routes
from bazaar_gateway.own_routes import add_own_routes
from bazaar_gateway.problems import problem_for
from bazaar_gateway.retirement_routes import add_retirement_routes
from bazaar_gateway.settings import GatewaySettings
from bazaar_gateway.slow_requests import bodies_in_time
from bazaar_gateway.state import GATEWAY, Gateway, build_gateway
from bazaar_gateway.storefront import add_storefront_routes

KEY_ACTIVATED_SUBJECT = "bazaar.identity.signing_key_activated"


@web.middleware
async def problems_for_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Exception as exc:
        return problem_for(exc, path=request.path)


def _follow_key_rotation(gateway: Gateway) -> None:
    """Refresh the JWKS whenever identity announces a new signing key."""
    subscribed = False

    async def subscribe(bus: Bus) -> None:
        nonlocal subscribed
        if not subscribed:  # subscriptions survive reconnects; subscribe once

            async def refresh(_msg: Msg) -> None:
                await gateway.admission.authenticator.refresh()

            await bus.client.subscribe(KEY_ACTIVATED_SUBJECT, cb=refresh)
            subscribed = True

    gateway.bus.on_connect(subscribe)


def build_app(settings: GatewaySettings) -> web.Application:
    gateway = build_gateway(settings)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_ids, problems_for_errors, bodies_in_time],
    )
    app[GATEWAY] = gateway
    gateway.bus.on_connect(gateway.directory.on_connect)
    gateway.bus.on_connect(gateway.policies.on_connect)
    gateway.bus.on_connect(gateway.retired.on_connect)
    _follow_key_rotation(gateway)
    gateway.bus.on_connect(gateway.admission.authenticator.follow_revocations)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await gateway.upstreams.start()
        await gateway.bus.start()
        yield
        await gateway.policies.stop()
        await gateway.retired.stop()
        await gateway.directory.stop()
        await gateway.bus.close()
        await gateway.upstreams.close()
        gateway.tracer_provider.shutdown()  # sends the spans still waiting for export

    app.cleanup_ctx.append(lifecycle)
    add_own_routes(app)
    add_retirement_routes(app)
    add_openapi_routes(app)
    add_console_session_routes(app, settings.console_session_key_bytes())
    if settings.storefront_url:
        add_storefront_routes(app, settings.storefront_url)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app
