"""What `bazaar up --deploy` and `bazaar undeploy` read: a declared instance
(service[@ref][:weight]) and which live instances a release or instance id names."""

from __future__ import annotations

import pytest

from bazaar_cli.deployments import DeployFailed
from bazaar_cli.release_commands import instances_matching
from bazaar_cli.releases import Declared, ReleaseFailed, working_tree


def test_a_declaration_names_a_service_and_optionally_a_git_ref_and_a_weight() -> None:
    assert Declared.parse("pricing") == Declared("pricing")
    assert Declared.parse("pricing@v1.2:10") == Declared("pricing", "v1.2", 10)
    assert Declared.parse("pricing@HEAD~3") == Declared("pricing", "HEAD~3", None)
    assert Declared.parse("inventory:0") == Declared("inventory", None, 0)


@pytest.mark.parametrize("spec", ["", "Pricing", "pricing@", "pricing:ten", "pricing@a b"])
def test_a_declaration_that_cannot_be_read_is_refused_with_the_expected_form(spec: str) -> None:
    with pytest.raises(ReleaseFailed, match=r"service\[@git-ref\]\[:weight\]"):
        Declared.parse(spec)


def test_an_instance_from_the_working_tree_runs_on_this_interpreter_with_its_weight() -> None:
    launch = working_tree(25)
    assert launch.cwd is None
    assert launch.environment() == {"BAZAAR_WEIGHT": "25"}
    assert working_tree(None).environment() == {}


LISTING = {
    "items": [
        {
            "name": "pricing",
            "instances": [
                {"id": "a1", "version": "1.0.0", "url": "http://127.0.0.1:1"},
                {"id": "b1", "version": "1.0.1", "url": "http://127.0.0.1:2"},
                {"id": "b2", "version": "1.0.1", "url": "http://127.0.0.1:3"},
            ],
        }
    ]
}


def test_undeploy_names_every_instance_of_a_release_or_one_instance_by_its_id() -> None:
    release = instances_matching(LISTING, service="pricing", which="1.0.1")
    assert [i["id"] for i in release] == ["b1", "b2"]
    assert [i["id"] for i in instances_matching(LISTING, service="pricing", which="a1")] == ["a1"]
    with pytest.raises(DeployFailed, match=r"no release or instance '2.0.0': 1.0.0 \(a1\)"):
        instances_matching(LISTING, service="pricing", which="2.0.0")
    with pytest.raises(DeployFailed, match="no live instance of 'cart'"):
        instances_matching(LISTING, service="cart", which="1.0.0")
