"""The default policy's search rules: everyone, signed in or not, may search; nobody but an
administrator may do anything else to the search service (it has nothing to write)."""

from __future__ import annotations

import pytest

from bazaar_gateway.policy import PolicyIndex
from bazaar_gateway.policy_store import default_rules

INDEX = PolicyIndex(default_rules())
SEARCH = "/search/1/products"


def allowed(role: str, organization: str, method: str, path: str) -> bool:
    roles = () if role == "guest" else (role,)
    return INDEX.decide(roles=roles, organization=organization, method=method, path=path).allowed


@pytest.mark.parametrize(
    ("role", "organization"),
    [("guest", "public"), ("customer", "public"), ("merchandiser", "bazaar")],
)
def test_everyone_may_search_but_not_write_to_search(role: str, organization: str) -> None:
    assert allowed(role, organization, "GET", SEARCH)
    assert not any(
        allowed(role, organization, method, SEARCH) for method in ("POST", "PUT", "DELETE")
    )
