"""The default policy's cart rules: shoppers reach only the cart routes, the cart service may
only read stock and products, and the order service may read a cart but never change one."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())
SHOPPER_ROUTES = [
    ("POST", "/cart/1/carts"),
    ("GET", "/cart/1/carts/c1"),
    ("POST", "/cart/1/carts/c1/items"),
    ("PATCH", "/cart/1/carts/c1/items/TEA-1"),
    ("DELETE", "/cart/1/carts/c1/items/TEA-1"),
    ("POST", "/cart/1/carts/c1/discount-codes"),
    ("DELETE", "/cart/1/carts/c1/discount-codes/SAVE10"),
    ("POST", "/cart/1/carts/c1/merge"),
]


def allowed(role: str, organization: str, method: str, path: str) -> bool:
    roles = () if role == "guest" else (role,)
    return INDEX.decide(roles=roles, organization=organization, method=method, path=path).allowed


@pytest.mark.parametrize(("method", "path"), SHOPPER_ROUTES)
@pytest.mark.parametrize(("role", "organization"), [("guest", "public"), ("customer", "public")])
def test_guests_and_customers_reach_every_cart_route(
    role: str, organization: str, method: str, path: str
) -> None:
    assert allowed(role, organization, method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cart/1/carts"),
        ("PUT", "/cart/1/carts/c1"),
        ("DELETE", "/cart/1/carts/c1"),
        ("GET", "/cart/1/openapi-but-not-a-route/x/y"),
        ("POST", "/cart/1/carts/c1/items/TEA-1"),
    ],
)
def test_anything_else_on_the_cart_service_is_denied_to_shoppers(method: str, path: str) -> None:
    assert not allowed("customer", "public", method, path)


def test_the_order_service_may_read_a_cart_and_may_not_change_one() -> None:
    assert allowed("service:order", "bazaar", "GET", "/cart/1/carts/c1")
    for method, path in SHOPPER_ROUTES:
        if method != "GET":
            assert not allowed("service:order", "bazaar", method, path), (method, path)


def test_the_cart_service_may_only_read_stock_and_products() -> None:
    assert allowed("service:cart", "bazaar", "GET", "/inventory/1/stock/TEA-1")
    assert allowed("service:cart", "bazaar", "GET", "/catalog/1/products/TEA-1")
    assert not allowed("service:cart", "bazaar", "PUT", "/inventory/1/stock/TEA-1")
    assert not allowed("service:cart", "bazaar", "POST", "/inventory/1/reservations")
    assert not allowed("service:cart", "bazaar", "PUT", "/pricing/1/prices/TEA-1")
