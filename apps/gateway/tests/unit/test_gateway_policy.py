"""The compiled policy index decides exactly as the Casbin model it stands for.

Casbin is the source of truth for the semantics (`CASBIN_MODEL`); the index is what the gateway
runs on every request. A property test feeds both the same random rules and requests.
"""

from __future__ import annotations

import casbin
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bazaar_chassis.kept import CHARACTERS as KEPT_PATH_CHARACTERS
from bazaar_gateway import policy as policy_module
from bazaar_gateway.policy import CASBIN_MODEL, EVERYONE, PolicyIndex, Rule, parse_csv
from bazaar_gateway.policy_store import default_rules

ROLES = ["guest", "customer", "merchandiser", "admin", "service:catalog"]
ORGS = ["bazaar", "public", "acme"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SEGMENTS = ["catalog", "product", "1", "2", "items", "x1"]

segment = st.sampled_from(SEGMENTS)
pattern_segment = st.one_of(segment, st.just(":id"))


@st.composite
def objects(draw: st.DrawFn) -> str:
    parts = draw(st.lists(pattern_segment, min_size=0, max_size=3))
    if draw(st.booleans()) or not parts:
        parts.append("*")
    return "/" + "/".join(parts)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    methods = draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True))
    return Rule(
        role=draw(st.sampled_from(ROLES)),
        organization=draw(st.sampled_from([*ORGS, "*"])),
        object=draw(objects()),
        action="*" if draw(st.integers(0, 4)) == 0 else "|".join(methods),
        effect=draw(st.sampled_from(["allow", "allow", "deny"])),
    )


paths = st.lists(segment, min_size=1, max_size=4).map(lambda p: "/" + "/".join(p))


def casbin_decides(
    policy: list[Rule], *, roles: tuple[str, ...], organization: str, method: str, path: str
) -> bool:
    model = casbin.model.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    for rule in policy:
        enforcer.add_policy(*rule.as_casbin())
    for role in {*roles, EVERYONE}:
        enforcer.add_grouping_policy("caller", role, organization)
    return bool(enforcer.enforce("caller", organization, path, method))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=st.lists(rules(), max_size=8),
    roles=st.lists(st.sampled_from(ROLES), max_size=2, unique=True).map(tuple),
    organization=st.sampled_from(ORGS),
    method=st.sampled_from(METHODS),
    path=paths,
)
def test_the_index_and_the_casbin_enforcer_agree_on_random_requests(
    policy: list[Rule], roles: tuple[str, ...], organization: str, method: str, path: str
) -> None:
    index = PolicyIndex(policy)
    decided = index.decide(roles=roles, organization=organization, method=method, path=path)
    expected = casbin_decides(
        policy, roles=roles, organization=organization, method=method, path=path
    )
    assert decided.allowed == expected, decided.explain()


requests = st.tuples(
    st.lists(st.sampled_from(ROLES), max_size=2, unique=True).map(tuple),
    st.sampled_from(ORGS),
    st.sampled_from(METHODS),
    paths,
)


@settings(max_examples=100, deadline=None)
@given(policy=st.lists(rules(), max_size=8), asked=st.lists(requests, max_size=30))
def test_a_decision_kept_by_the_index_is_the_one_it_would_make_afresh(
    policy: list[Rule], asked: list[tuple[tuple[str, ...], str, str, str]]
) -> None:
    """Asked again, past the bound of what it keeps (made small), one index answers as a new one."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(policy_module, "DECISIONS_KEPT", 4)
        index = PolicyIndex(policy)
        for roles, organization, method, path in asked + asked:
            kept = index.decide(roles=roles, organization=organization, method=method, path=path)
            afresh = PolicyIndex(policy).decide(
                roles=roles, organization=organization, method=method, path=path
            )
            assert kept == afresh


def test_a_long_path_is_decided_but_not_kept() -> None:
    """What is kept is bounded in size as well as in number: a flood of long paths keeps none."""
    index = PolicyIndex(parse_csv("p, guest, *, /catalog/*, GET, allow"))

    def allowed(method: str, path: str) -> bool:
        return index.decide(
            roles=("guest",), organization="public", method=method, path=path
        ).allowed

    long_path = "/catalog/1/" + "a" * KEPT_PATH_CHARACTERS
    assert allowed("GET", long_path)
    assert not allowed("PUT", long_path)
    assert index._decided.count() == 0  # the bound is what is tested
    assert allowed("GET", "/catalog/1")
    assert index._decided.count() == 1


def test_nothing_is_allowed_without_a_rule() -> None:
    decision = PolicyIndex([]).decide(
        roles=("admin",), organization="bazaar", method="GET", path="/catalog/1/x"
    )
    assert not decision.allowed
    assert "deny by default" in decision.explain()


def test_an_explicit_deny_beats_any_allow() -> None:
    index = PolicyIndex(
        parse_csv("p, admin, bazaar, /*, *, allow\np, admin, *, /inventory/*, DELETE, deny\n")
    )
    assert index.decide(
        roles=("admin",), organization="bazaar", method="GET", path="/inventory/1/stock/A"
    ).allowed
    denied = index.decide(
        roles=("admin",), organization="bazaar", method="DELETE", path="/inventory/1/stock/A"
    )
    assert not denied.allowed
    assert "deny" in denied.explain()


def test_guest_rules_apply_to_every_caller() -> None:
    index = PolicyIndex(parse_csv("p, guest, *, /catalog/*, GET, allow"))
    assert index.decide(
        roles=("merchandiser",), organization="acme", method="GET", path="/catalog/1/products/A"
    ).allowed


def test_a_rule_for_one_organization_does_not_reach_another() -> None:
    index = PolicyIndex(parse_csv("p, merchandiser, bazaar, /product/*, POST, allow"))
    assert not index.decide(
        roles=("merchandiser",), organization="acme", method="POST", path="/product/1/products"
    ).allowed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("object", "catalog/*", "must be a path"),
        ("object", "/cata*log", "segment"),
        ("object", "/a/*/b", "segment"),
        ("object", "/a.b", "segment"),
        ("action", "FETCH", "not HTTP methods"),
        ("role", "*", "role name"),
        ("effect", "maybe", "allow"),
    ],
)
def test_a_malformed_rule_is_refused_with_the_reason(field: str, value: str, message: str) -> None:
    fields = {
        "role": "admin",
        "organization": "*",
        "object": "/x",
        "action": "GET",
        "effect": "allow",
        field: value,
    }
    with pytest.raises(ValidationError, match=message):
        Rule.model_validate(fields)


def test_the_default_policy_parses_and_gives_jenn_exactly_her_rule() -> None:
    index = PolicyIndex(default_rules())

    def jenn(method: str, path: str) -> bool:
        return index.decide(
            roles=("marketing",), organization="bazaar", method=method, path=path
        ).allowed

    assert jenn("GET", "/customer/1/customers/me")
    assert not jenn("POST", "/customer/1/customers")
    assert jenn("GET", "/order/1/orders/o1")
    assert jenn("POST", "/order/1/orders")
    assert not jenn("DELETE", "/order/1/orders/o1")
    assert not jenn("PUT", "/pricing/1/prices/A")
