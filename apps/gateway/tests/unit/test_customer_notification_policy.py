"""The default policy's rules for the customer and notification services: Jenn reads customers
and is refused every write (M7); shoppers reach only their own record and messages."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())


def allowed(roles: tuple[str, ...], organization: str, method: str, path: str) -> bool:
    return INDEX.decide(roles=roles, organization=organization, method=method, path=path).allowed


@pytest.mark.parametrize(
    "path",
    ["/customer/1/customers", "/customer/1/customers/u-1", "/customer/1/customers/me"],
)
def test_marketing_may_read_every_customer_route(path: str) -> None:
    assert allowed(("marketing",), "bazaar", "GET", path)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/customer/1/customers/me/addresses/home", "/customer/1/customers/u-1"]
)
def test_marketing_is_refused_every_write_to_customer_whatever_else_she_holds(
    method: str, path: str
) -> None:
    assert not allowed(("marketing",), "bazaar", method, path)
    assert not allowed(("marketing", "customer"), "public", method, path)


def test_a_shopper_reaches_their_own_record_and_messages_but_not_the_customer_list() -> None:
    shopper = ("customer",)
    assert allowed(shopper, "public", "GET", "/customer/1/customers/me")
    assert allowed(shopper, "public", "PUT", "/customer/1/customers/me/addresses/home")
    assert allowed(shopper, "public", "DELETE", "/customer/1/customers/me/addresses/home")
    assert allowed(shopper, "public", "GET", "/notification/1/messages")
    assert not allowed(shopper, "public", "GET", "/customer/1/customers")
    assert not allowed(shopper, "public", "GET", "/customer/1/customers/u-other")


def test_operators_and_admins_read_messages_and_guests_do_not() -> None:
    assert allowed(("operator",), "bazaar", "GET", "/notification/1/messages")
    assert allowed(("admin",), "bazaar", "GET", "/notification/1/messages")
    assert not allowed(("guest",), "public", "GET", "/notification/1/messages")
    assert not allowed(("operator",), "bazaar", "POST", "/notification/1/messages")
