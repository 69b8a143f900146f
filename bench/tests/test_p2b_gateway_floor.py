"""P2b: the hello rule is added to the live policy once, whatever it held; CPU per request is
the process's cores over its requests per second; the hello service's registry entry is one the
gateway trusts; the command line knows P2b."""

import math

import pytest

from bazaar_gateway.policy import Rule
from bazaar_gateway.registry_trust import RegistryTrust
from bench.__main__ import _arguments
from bench.hello_service import HELLO_RULE, PATH, instance_at
from bench.p2b_gateway_floor import per_request_us, with_rule

CATALOG_RULE = {
    "role": "guest",
    "organization": "*",
    "object": "/catalog/*",
    "action": "GET",
    "effect": "allow",
}


def test_the_hello_rule_is_appended_to_the_existing_rules() -> None:
    assert with_rule([CATALOG_RULE], HELLO_RULE) == [CATALOG_RULE, HELLO_RULE]


def test_a_policy_that_already_holds_the_rule_is_left_as_it_is() -> None:
    rules = [HELLO_RULE, CATALOG_RULE]

    assert with_rule(rules, HELLO_RULE) == rules


def test_the_hello_rule_is_a_valid_policy_rule_that_covers_the_hello_path() -> None:
    rule = Rule.model_validate(HELLO_RULE)

    assert (rule.role, rule.action) == ("customer", "GET")
    assert PATH.startswith(rule.object.removesuffix("*"))


def test_cpu_per_request_is_cores_over_requests_per_second_in_microseconds() -> None:
    assert per_request_us(0.5, 2000.0) == pytest.approx(250.0)
    assert math.isnan(per_request_us(0.5, 0.0))


def test_the_hello_service_entry_is_trusted_by_the_gateway() -> None:
    instance = instance_at(41234)

    assert RegistryTrust().refusal(instance.key, instance) is None
    assert (instance.service, instance.majors, instance.url) == (
        "hello",
        [1],
        "http://127.0.0.1:41234",
    )


def test_p2b_is_a_scenario_of_the_command_line() -> None:
    assert _arguments(["p2b"]).scenarios == ["P2b"]
