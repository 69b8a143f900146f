"""M7 through a real gateway: authentication, deny-by-default authorization, bypass attempts.

Identity is real; the other services are stand-ins that echo who called them, so every route
of the API contract can be checked, including those of services not built yet.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import casbin
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from structlog.testing import capture_logs

from bazaar_chassis.caller import IDENTITY_HEADER, Caller
from bazaar_chassis.testing.identity import assertion_key_for, assertion_made_with
from bazaar_gateway.policy import CASBIN_MODEL, EVERYONE, Rule
from bazaar_platform.assertions import AssertionSigner

from .conftest import GatewayFactory, Platform

SERVICES = (
    "product",
    "category",
    "pricing",
    "inventory",
    "catalog",
    "search",
    "cart",
    "order",
    "customer",
    "notification",
)

CONTRACT_ROUTES = [
    ("POST", "/identity/1/token"),
    ("GET", "/identity/1/jwks"),
    ("POST", "/identity/1/users"),
    ("GET", "/identity/1/users/me"),
    ("POST", "/product/1/products"),
    ("GET", "/product/1/products/SKU-1"),
    ("PATCH", "/product/1/products/SKU-1"),
    ("POST", "/product/1/products/SKU-1/recall"),
    ("PUT", "/category/1/categories/coffee"),
    ("PUT", "/category/1/categories/coffee/products/SKU-1"),
    ("DELETE", "/category/1/categories/coffee/products/SKU-1"),
    ("GET", "/pricing/1/prices/SKU-1"),
    ("PUT", "/pricing/1/prices/SKU-1"),
    ("PUT", "/pricing/2/prices/SKU-1"),
    ("GET", "/inventory/1/stock/SKU-1"),
    ("PUT", "/inventory/1/stock/SKU-1"),
    ("PUT", "/inventory/2/stock/SKU-1/locations/main"),
    ("POST", "/inventory/1/reservations"),
    ("GET", "/catalog/1/categories/coffee/products"),
    ("GET", "/catalog/1/products/SKU-1"),
    ("GET", "/search/1/products"),
    ("POST", "/cart/1/carts"),
    ("POST", "/cart/1/carts/c1/items"),
    ("GET", "/cart/1/carts/c1"),
    ("POST", "/order/1/orders"),
    ("GET", "/order/1/orders/o1"),
    ("GET", "/customer/1/customers/me"),
    ("POST", "/customer/1/customers"),
    ("GET", "/notification/1/messages"),
    ("GET", "/gateway/1/policies"),
    ("GET", "/gateway/1/services"),
]

pytestmark = pytest.mark.stand_ins(*SERVICES)


def casbin_oracle(rules: list[dict[str, Any]]) -> casbin.Enforcer:
    """The Casbin enforcer for the live rules: the expected answer for every request."""
    model = casbin.model.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    for rule in rules:
        enforcer.add_policy(*Rule.model_validate(rule).as_casbin())
    return enforcer


async def a_service_token(platform: Platform, admin: str, service: str) -> str:
    """Register `service` as an OAuth2 client and get a client-credentials token for it."""
    status, client = await platform.call(
        "POST", "/identity/1/clients", token=admin, json={"client_id": service}
    )
    assert status == 201, client
    async with platform.http.post(
        platform.url + "/identity/1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": service,
            "client_secret": client["client_secret"],
        },
    ) as reply:
        assert reply.status == 200, await reply.text()
        return str((await reply.json())["access_token"])


async def a_user(platform: Platform, admin: str, *, role: str, org: str) -> str:
    """A new user holding `role` in `org`; returns a token."""
    email = f"{role}.{org}.{uuid.uuid4().hex[:6]}@example.test"
    status, body = await platform.call(
        "POST",
        "/identity/1/users",
        token=admin,
        json={
            "email": email,
            "password": "long-enough-pass",
            "name": email,
            "organization": org,
            "roles": [role],
        },
    )
    assert status == 201, body
    return await platform.token(email, "long-enough-pass")


async def test_every_contract_route_for_every_role_in_two_organizations_follows_the_policy(
    platform: Platform,
) -> None:
    admin = await platform.token("admin@bazaar.test")
    _, policy = await platform.call("GET", "/gateway/1/policies", token=admin)
    oracle = casbin_oracle(policy["rules"])
    callers: list[tuple[str, tuple[str, ...], str, str | None]] = [("guest", (), "public", None)]
    for role in ("customer", "merchandiser", "marketing", "admin"):
        for org in ("bazaar", "public"):
            user_token = await a_user(platform, admin, role=role, org=org)
            callers.append((f"{role}@{org}", (role,), org, user_token))
    for service in ("catalog", "cart"):
        service_token = await a_service_token(platform, admin, service)
        callers.append((f"service:{service}", (f"service:{service}",), "bazaar", service_token))

    mismatches = []
    for label, roles, org, token in callers:
        user = f"u-{label}"
        for role in (*roles, EVERYONE):
            oracle.add_grouping_policy(user, role, org)
        for method, path in CONTRACT_ROUTES:
            expected = oracle.enforce(user, org, path, method)
            status, body = await platform.call(method, path, token=token, json={})
            assert status < 500, (label, method, path, status, body)
            if (status != 403) != expected:
                mismatches.append((label, method, path, status, expected))
            if status == 200 and isinstance(body, dict) and "caller" in body:
                assert body["caller"]["org"] == org  # the service saw who really called
    assert not mismatches, mismatches


async def test_jenn_from_marketing_may_read_customers_and_read_and_place_orders_only(
    platform: Platform,
) -> None:
    jenn = await platform.token("jenn@bazaar.test")
    assert (await platform.call("GET", "/customer/1/customers/me", token=jenn))[0] == 200
    assert (await platform.call("POST", "/customer/1/customers", token=jenn, json={}))[0] == 403
    assert (await platform.call("GET", "/order/1/orders/o1", token=jenn))[0] == 200
    assert (await platform.call("POST", "/order/1/orders", token=jenn, json={}))[0] == 200
    assert (await platform.call("PUT", "/pricing/1/prices/A", token=jenn, json={}))[0] == 403


async def test_a_token_of_another_organization_is_refused_on_the_operators_data(
    platform: Platform,
) -> None:
    acme = await platform.token("buyer@acme.test")  # merchandiser, but of acme
    bazaar = await platform.token("merch@bazaar.test")
    body = {"sku": "ORG-1", "name": "x"}
    assert (await platform.call("POST", "/product/1/products", token=acme, json=body))[0] == 403
    assert (await platform.call("POST", "/product/1/products", token=bazaar, json=body))[0] == 200


async def test_expired_tampered_wrong_key_unknown_key_and_unsigned_tokens_are_401(
    platform: Platform,
) -> None:
    valid = await platform.token("merch@bazaar.test")
    platform.clock_skew[0] = -3600.0  # identity issues a token that expired long ago
    expired = await platform.token("merch@bazaar.test")
    platform.clock_skew[0] = 0.0
    header = jwt.get_unverified_header(valid)
    claims = jwt.decode(valid, options={"verify_signature": False})
    head, _payload, signature = valid.split(".")
    tampered_claims = jwt.encode({**claims, "roles": ["admin"]}, "k" * 32, algorithm="HS256")
    tampered = ".".join([head, tampered_claims.split(".")[1], signature])
    other_key = Ed25519PrivateKey.generate()
    wrong_key = jwt.encode(claims, other_key, algorithm="EdDSA", headers={"kid": header["kid"]})
    unknown_key = jwt.encode(claims, other_key, algorithm="EdDSA", headers={"kid": "nope"})
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]

    for name, token in [
        ("expired", expired),
        ("tampered", tampered),
        ("wrong key", wrong_key),
        ("unknown key", unknown_key),
        ("alg none", unsigned),
        ("garbage", "not-a-token"),
    ]:
        status, problem = await platform.call("GET", "/product/1/products/A", token=token)
        assert status == 401, (name, problem)
        assert problem["detail"], name
    assert (await platform.call("GET", "/product/1/products/A", token=valid))[0] == 200


async def test_an_identity_header_from_the_client_is_ignored_by_the_gateway(
    platform: Platform,
) -> None:
    forged = AssertionSigner(secrets.token_urlsafe(32).encode()).assertion(
        Caller(subject="mallory", kind="user", organization="bazaar", roles=("admin",)),
        audience="product",
        method="POST",
        path="/product/1/products",
    )
    status, body = await platform.call(
        "GET", "/catalog/1/products/A", headers={IDENTITY_HEADER: forged}
    )
    assert status == 200
    assert body["caller"]["sub"] == "guest"
    status, _ = await platform.call(
        "POST", "/product/1/products", headers={IDENTITY_HEADER: forged}, json={}
    )
    assert status == 403


async def test_a_call_straight_to_a_service_port_is_refused(platform: Platform) -> None:
    admin = await platform.token("admin@bazaar.test")
    _, services = await platform.call("GET", "/gateway/1/services", token=admin)
    product_url = next(
        s["instances"][0]["url"] for s in services["items"] if s["name"] == "product"
    )
    mallory = Caller(subject="mallory", kind="user", organization="bazaar", roles=("admin",))
    forged = AssertionSigner(secrets.token_urlsafe(32).encode()).assertion(
        mallory, audience="product", method="GET", path="/product/1/products/A"
    )
    by_another_service = assertion_made_with(  # catalog's own key, as a compromised catalog
        assertion_key_for("catalog"),
        mallory,
        audience="product",
        method="GET",
        path="/product/1/products/A",
    )
    for headers in (
        {},
        {IDENTITY_HEADER: forged},
        {IDENTITY_HEADER: by_another_service},
        {"Authorization": f"Bearer {admin}"},
    ):
        async with platform.http.get(f"{product_url}/product/1/products/A", headers=headers) as r:
            assert r.status == 401, headers


async def test_every_denial_is_written_to_the_audit_log(platform: Platform) -> None:
    jenn = await platform.token("jenn@bazaar.test")
    with capture_logs() as logs:
        assert (await platform.call("DELETE", "/product/1/products/A", token=jenn))[0] == 403
    denials = [e for e in logs if e["event"] == "authorization denied"]
    assert len(denials) == 1
    assert denials[0]["path"] == "/product/1/products/A"
    assert denials[0]["roles"] == ["marketing"]
    assert "deny by default" in denials[0]["reason"]


async def test_a_policy_change_takes_effect_at_once_on_every_gateway_instance(
    platform: Platform, start_gateway: GatewayFactory
) -> None:
    admin = await platform.token("admin@bazaar.test")
    jenn = await platform.token("jenn@bazaar.test")
    other = Platform(await start_gateway(), platform.http, platform.clock_skew)
    await other.routes_to("product")
    assert (await other.call("GET", "/product/1/products/A", token=jenn))[0] == 403

    _, policy = await platform.call("GET", "/gateway/1/policies", token=admin)
    rules = [
        *policy["rules"],
        {
            "role": "marketing",
            "organization": "bazaar",
            "object": "/product/*",
            "action": "GET",
            "effect": "allow",
        },
    ]
    assert (await platform.call("PUT", "/gateway/1/policies", token=jenn, json={"rules": rules}))[
        0
    ] == 403
    status, updated = await platform.call(
        "PUT",
        "/gateway/1/policies",
        token=admin,
        json={"rules": rules, "version": policy["version"]},
    )
    assert status == 200
    assert updated["version"] > policy["version"]
    for gateway in (platform, other):

        async def allowed(gateway: Platform = gateway) -> bool:
            return (await gateway.call("GET", "/product/1/products/A", token=jenn))[0] == 200

        from bazaar_chassis.testing import eventually

        await eventually(allowed, timeout=5, message="the new rule did not take effect")
    stale, problem = await platform.call(
        "PUT",
        "/gateway/1/policies",
        token=admin,
        json={"rules": rules, "version": policy["version"]},
    )
    assert stale == 409
    invalid, problem = await platform.call(
        "PUT",
        "/gateway/1/policies",
        token=admin,
        json={"rules": [{"role": "x", "organization": "*", "object": "no-slash", "action": "GET"}]},
    )
    assert invalid == 422
    assert "must be a path" in problem["detail"]


async def test_a_client_over_its_rate_limit_gets_429_with_retry_after(
    platform: Platform, start_gateway: GatewayFactory
) -> None:
    limited = Platform(
        await start_gateway(rate_limit_per_second=1, rate_limit_burst=3),
        platform.http,
        platform.clock_skew,
    )
    await limited.routes_to("catalog")
    statuses = [(await limited.call("GET", "/catalog/1/products/A"))[0] for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    async with platform.http.get(limited.url + "/catalog/1/products/A") as reply:
        assert int(reply.headers["Retry-After"]) >= 1


async def test_a_body_over_the_size_limit_is_refused_with_413(platform: Platform) -> None:
    status, problem = await platform.call(
        "POST",
        "/cart/1/carts",
        data=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    assert status == 413
    assert problem["status"] == 413


async def test_after_a_key_rotation_old_and_new_tokens_are_both_accepted_at_once(
    platform: Platform,
) -> None:
    admin = await platform.token("admin@bazaar.test")
    before = await platform.token("merch@bazaar.test")
    status, rotated = await platform.call("POST", "/identity/1/keys/rotate", token=admin)
    assert status == 200
    after = await platform.token("merch@bazaar.test")
    assert jwt.get_unverified_header(after)["kid"] == rotated["kid"]
    assert jwt.get_unverified_header(before)["kid"] != rotated["kid"]
    for token in (before, after):
        assert (await platform.call("GET", "/product/1/products/A", token=token))[0] == 200


async def test_a_customer_may_read_their_own_account_but_not_another_customers(
    platform: Platform,
) -> None:
    shopper = await platform.token("shopper@bazaar.test")
    other = await platform.token("shopper2@bazaar.test")
    status, me = await platform.call("GET", "/identity/1/users/me", token=shopper)
    assert (status, me["email"]) == (200, "shopper@bazaar.test")
    _, them = await platform.call("GET", "/identity/1/users/me", token=other)
    assert (await platform.call("GET", f"/identity/1/users/{me['id']}", token=shopper))[0] == 200
    status, problem = await platform.call("GET", f"/identity/1/users/{them['id']}", token=shopper)
    assert status == 403  # allowed by the gateway's policy, refused by the owning service
    assert "your own account" in problem["detail"]
    admin = await platform.token("admin@bazaar.test")
    assert (await platform.call("GET", f"/identity/1/users/{them['id']}", token=admin))[0] == 200
