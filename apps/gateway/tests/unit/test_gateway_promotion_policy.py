"""The default policy on the promotion routes: Jenn (marketing) runs promotions, a customer may
only read the ones on offer, like a guest, and nobody but staff and the cart reads codes."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())
JENN = (("marketing",), "bazaar")
CUSTOMER = (("customer",), "public")
GUEST = (("guest",), "public")
CART = (("service:cart",), "bazaar")
OTHER_MARKETING = (("marketing",), "acme")


@pytest.mark.parametrize(
    ("who", "method", "path", "allowed"),
    [
        (JENN, "POST", "/promotion/1/promotions", True),
        (JENN, "PATCH", "/promotion/1/promotions/p1", True),
        (JENN, "POST", "/promotion/1/promotions/p1/codes", True),
        (JENN, "GET", "/promotion/1/codes/WELCOME10", True),
        (JENN, "DELETE", "/promotion/1/promotions/p1", False),
        (OTHER_MARKETING, "POST", "/promotion/1/promotions", False),
        (CUSTOMER, "POST", "/promotion/1/promotions", False),
        (CUSTOMER, "PATCH", "/promotion/1/promotions/p1", False),
        (CUSTOMER, "POST", "/promotion/1/promotions/p1/codes", False),
        (CUSTOMER, "GET", "/promotion/1/codes/WELCOME10", False),
        (CUSTOMER, "GET", "/promotion/1/promotions", True),
        (GUEST, "GET", "/promotion/1/promotions", True),
        (GUEST, "GET", "/promotion/1/promotions/p1", True),
        (GUEST, "GET", "/promotion/1/codes/WELCOME10", False),
        (
            CART,
            "GET",
            "/promotion/1/codes/WELCOME10",
            False,
        ),  # the cart learns codes by event, never asks
    ],
)
def test_the_default_policy_on_promotion_routes(
    who: tuple[tuple[str, ...], str], method: str, path: str, allowed: bool
) -> None:
    roles, organization = who
    decision = INDEX.decide(roles=roles, organization=organization, method=method, path=path)
    assert decision.allowed is allowed, decision.explain()
