"""The default policy's payment rules: anyone may deliver a provider webhook, and nothing else of
payment is open to guests; a shopper may ask for a payment (the service checks it is theirs)."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())


def allowed(roles: tuple[str, ...], organization: str, method: str, path: str) -> bool:
    return INDEX.decide(roles=roles, organization=organization, method=method, path=path).allowed


@pytest.mark.parametrize(
    ("roles", "organization", "method", "path", "expected"),
    [
        (("guest",), "public", "POST", "/payment/1/webhooks/test-provider", True),
        (("guest",), "public", "GET", "/payment/1/webhooks/test-provider", False),
        (("guest",), "public", "POST", "/payment/1/webhooks/other", False),
        (("guest",), "public", "POST", "/payment/1/methods", False),
        (("customer",), "public", "POST", "/payment/1/methods", False),
        (("customer",), "public", "GET", "/payment/1/payments/o-1", True),
        (("customer",), "public", "GET", "/payment/1/payments", False),
        (("service:order",), "bazaar", "POST", "/payment/1/methods", True),
        (("marketing",), "bazaar", "GET", "/payment/1/payments/o-1", False),
    ],
)
def test_payment_routes_are_open_exactly_as_the_policy_says(
    roles: tuple[str, ...], organization: str, method: str, path: str, expected: bool
) -> None:
    assert allowed(roles, organization, method, path) is expected
