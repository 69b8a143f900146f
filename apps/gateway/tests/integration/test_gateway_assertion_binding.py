"""Attack 2 of issue 8: an assertion captured by a service is worth nothing anywhere else.

A stand-in "cart" records the assertion the gateway sent it for a guest's request; replayed to
identity's own port (another service, path and method), to cart again (the same request twice,
another path, another method) or after expiry, every use is a 401. And identity checks roles
itself: a non-admin's perfectly valid assertion for an admin action is a 403, even when the
gateway's policy is opened to let it through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_chassis.caller import IDENTITY_HEADER, Caller
from bazaar_chassis.testing import eventually, serving
from bazaar_chassis.testing.identity import assertion_for, gateway_assertion_secret
from bazaar_platform.assertions import AssertionSigner

from .conftest import Platform

SHOPPER = Caller(subject="shopper-1", kind="user", organization="public", roles=("customer",))
NEW_ADMIN = {
    "email": "mallory@example.test",
    "password": "long-enough-pass",
    "name": "Mallory",
    "organization": "bazaar",
    "roles": ["admin"],
}


def capturing_cart(settings: ServiceSettings) -> FastAPI:
    """A cart that answers with the assertion it was sent, as a compromised service would see it."""
    router = APIRouter()

    @router.api_route("/{path:path}", methods=["GET", "POST"])
    async def capture(path: str, request: Request) -> dict[str, Any]:
        return {"assertion": request.headers[IDENTITY_HEADER], "path": path}

    definition = ServiceDefinition(
        name="cart", version="0.0.0-capture", description="captures", apis={1: router}
    )
    return create_app(definition, settings)


@pytest.fixture
async def cart_url(platform: Platform, service_settings: ServiceSettings) -> AsyncIterator[str]:
    settings = service_settings.model_copy(
        update={"instance_id": "cart-1", "data_dir": service_settings.data_dir / "cart"}
    )
    async with serving(capturing_cart, settings) as served:
        await platform.routes_to("cart")
        yield served.url


async def identity_url(platform: Platform) -> str:
    admin = await platform.token("admin@bazaar.test")

    async def listed() -> str:
        status, services = await platform.call("GET", "/gateway/1/services", token=admin)
        assert status == 200, services  # `eventually` retries until the gateway can answer
        items = services["items"]
        return str(next(s["instances"][0]["url"] for s in items if s["name"] == "identity"))

    return await eventually(listed, message="the gateway never listed identity")


async def status_at(
    platform: Platform, url: str, method: str, assertion: str, **kwargs: Any
) -> tuple[int, Any]:
    async with platform.http.request(
        method, url, headers={IDENTITY_HEADER: assertion}, **kwargs
    ) as reply:
        return reply.status, await reply.json(content_type=None)


async def test_a_captured_guest_assertion_replayed_anywhere_is_refused(
    platform: Platform, cart_url: str
) -> None:
    status, body = await platform.call("GET", "/cart/1/carts/c1")
    assert status == 200, body
    captured = body["assertion"]
    identity = await identity_url(platform)

    attempts: dict[str, tuple[str, str, dict[str, Any]]] = {
        "identity, another path and method": (
            "POST",
            f"{identity}/identity/1/users",
            {"json": NEW_ADMIN},
        ),
        "identity, the same path shape": ("GET", f"{identity}/identity/1/jwks", {}),
        "cart again, the same request": ("GET", f"{cart_url}/cart/1/carts/c1", {}),
        "cart, another path": ("GET", f"{cart_url}/cart/1/carts/c2", {}),
        "cart, another method": ("POST", f"{cart_url}/cart/1/carts/c1", {"json": {}}),
        "cart, another query": ("GET", f"{cart_url}/cart/1/carts/c1?admin=1", {}),
    }
    for name, (method, url, kwargs) in attempts.items():
        status, problem = await status_at(platform, url, method, captured, **kwargs)
        assert status == 401, (name, problem)
        assert "identity assertion rejected" in problem["detail"], (name, problem)
    admin = await platform.token("admin@bazaar.test")
    users_reply = await platform.call("GET", "/identity/1/users/me", token=admin)
    assert users_reply[0] == 200  # identity itself is fine, it just refused the replays


async def test_an_expired_assertion_for_exactly_this_request_is_refused(
    platform: Platform,
) -> None:
    identity = await identity_url(platform)
    expired = AssertionSigner(gateway_assertion_secret().encode(), ttl_seconds=-5).assertion(
        SHOPPER, audience="identity", method="GET", path="/identity/1/jwks"
    )
    status, problem = await status_at(platform, f"{identity}/identity/1/jwks", "GET", expired)
    assert status == 401
    assert "expired" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/identity/1/users", NEW_ADMIN),
        ("POST", "/identity/1/clients", {"client_id": "mallory"}),
        ("POST", "/identity/1/keys/rotate", None),
        ("GET", "/identity/1/organizations", None),
        ("POST", "/identity/1/revocations", {"subject": "someone"}),
    ],
)
async def test_identity_refuses_admin_actions_to_a_valid_non_admin_assertion(
    platform: Platform, method: str, path: str, body: Any
) -> None:
    identity = await identity_url(platform)
    valid = assertion_for(SHOPPER, method=method, path=path)
    status, problem = await status_at(
        platform, identity + path, method, valid, **({"json": body} if body else {})
    )
    assert status == 403, problem
    assert "only an admin" in problem["detail"]


async def test_identity_refuses_a_customer_creating_an_admin_even_if_the_policy_lets_it_through(
    platform: Platform,
) -> None:
    admin = await platform.token("admin@bazaar.test")
    shopper = await platform.token("shopper@bazaar.test")
    _, policy = await platform.call("GET", "/gateway/1/policies", token=admin)
    opened = [
        *policy["rules"],
        {
            "role": "customer",
            "organization": "*",
            "object": "/identity/*",
            "action": "*",
            "effect": "allow",
        },
    ]
    status, _ = await platform.call(
        "PUT", "/gateway/1/policies", token=admin, json={"rules": opened}
    )
    assert status == 200
    status, problem = await platform.call(
        "POST", "/identity/1/users", token=shopper, json=NEW_ADMIN
    )
    assert status == 403, problem
    assert "only an admin" in problem["detail"]
    assert (await platform.call("POST", "/identity/1/keys/rotate", token=shopper))[0] == 403
