"""The default policy on the order routes: signed-in customers and Jenn (marketing) may place
and read orders, guests may not; the order service may read carts and tokenise cards."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())

CUSTOMER = (("customer",), "public")
JENN = (("marketing",), "bazaar")
GUEST = ((), "public")
ORDER_SERVICE = (("service:order",), "bazaar")


def allowed(who: tuple[tuple[str, ...], str], method: str, path: str) -> bool:
    roles, organization = who
    return INDEX.decide(roles=roles, organization=organization, method=method, path=path).allowed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/order/1/orders"),
        ("GET", "/order/1/orders"),
        ("GET", "/order/1/orders/o1"),
        ("POST", "/order/1/orders/o1/cancel"),
    ],
)
def test_customers_and_jenn_may_place_read_and_cancel_orders_and_guests_may_not(
    method: str, path: str
) -> None:
    assert allowed(CUSTOMER, method, path)
    assert allowed(JENN, method, path)
    assert not allowed(GUEST, method, path)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_nobody_but_an_admin_rewrites_or_deletes_an_order(method: str) -> None:
    for who in (CUSTOMER, JENN, GUEST, ORDER_SERVICE):
        assert not allowed(who, method, "/order/1/orders/o1")


def test_the_order_service_may_read_carts_and_tokenise_cards() -> None:
    assert allowed(ORDER_SERVICE, "GET", "/cart/1/carts/c1")
    assert allowed(ORDER_SERVICE, "POST", "/payment/1/methods")
    assert not allowed(ORDER_SERVICE, "POST", "/identity/1/users")
