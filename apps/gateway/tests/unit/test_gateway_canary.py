"""The canary pick splits callers between releases as their weights say and keeps each caller on
one release: checked against a naive reference that lays the releases' weights end to end. The
directory's per-request `Plan` is checked against `pick` itself.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bazaar_chassis.registry import Instance
from bazaar_gateway.canary import Plan, caller_point, pick

CALLERS = [f"user-{n}" for n in range(1000)]


def instance(release: str, n: int, weight: int) -> Instance:
    return Instance(
        service="pricing",
        version=release,
        instance_id=f"{release}-{n}",
        url=f"http://10.0.0.{n}:8000",
        majors=[1],
        default_major=1,
        openapi_url="",
        weight=weight,
    )


def reference_release(weights: dict[str, int], point: float) -> str:
    """One slot per unit of weight, releases in order, the caller's point names the slot."""
    slots = [release for release in sorted(weights) for _ in range(weights[release])]
    return slots[int(point * len(slots))]


@st.composite
def fleets(draw: st.DrawFn) -> list[Instance]:
    """Two or three releases, each with one to three instances of weight 1..100."""
    releases = draw(st.lists(st.sampled_from(["2.2.0", "2.3.0", "3.0.0"]), min_size=2, unique=True))
    return [
        instance(release, n, draw(st.integers(1, 100)))
        for release in releases
        for n in range(draw(st.integers(1, 3)))
    ]


def _summed(fleet: list[Instance]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for i in fleet:
        totals[i.version] = totals.get(i.version, 0) + i.weight
    return totals


@settings(max_examples=60, derandomize=True, deadline=None)
@given(fleet=fleets())
def test_every_caller_gets_the_release_the_reference_gives_it(fleet: list[Instance]) -> None:
    weights = _summed(fleet)
    for caller in CALLERS[:200]:
        chosen = pick(fleet, sticky_key=caller)
        assert chosen is not None
        assert chosen.version == reference_release(weights, caller_point(caller))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(fleet=fleets())
def test_a_thousand_callers_split_within_a_few_percent_of_the_weights(
    fleet: list[Instance],
) -> None:
    weights = _summed(fleet)
    total = sum(weights.values())
    shares = Counter(i.version for c in CALLERS if (i := pick(fleet, sticky_key=c)) is not None)
    for release, weight in weights.items():
        assert abs(shares[release] / len(CALLERS) - weight / total) < 0.05, (release, shares)


def test_ninety_ten_splits_ninety_ten() -> None:
    fleet = [instance("2.3.0", 1, 90), instance("2.4.0", 1, 10)]
    shares = Counter(i.version for c in CALLERS if (i := pick(fleet, sticky_key=c)) is not None)
    assert 870 <= shares["2.3.0"] <= 930, shares
    assert shares["2.3.0"] + shares["2.4.0"] == len(CALLERS)


@given(fleet=fleets(), caller=st.text(min_size=1, max_size=20), turns=st.lists(st.integers(0, 50)))
def test_one_caller_always_gets_the_same_release(
    fleet: list[Instance], caller: str, turns: list[int]
) -> None:
    first = pick(fleet, sticky_key=caller)
    assert first is not None
    for turn in turns:
        again = pick(list(reversed(fleet)), sticky_key=caller, turn=turn)
        assert again is not None
        assert again.version == first.version


@given(fleet=fleets(), caller=st.text(max_size=20), turn=st.integers(0, 50))
def test_an_avoided_instance_is_never_picked_while_another_remains(
    fleet: list[Instance], caller: str, turn: int
) -> None:
    first = pick(fleet, sticky_key=caller, turn=turn)
    assert first is not None
    retry = pick(fleet, sticky_key=caller, turn=turn, avoid=frozenset({first.key}))
    assert retry is not None
    assert retry.key != first.key
    assert pick(fleet, sticky_key=caller, avoid=frozenset(i.key for i in fleet)) is None


def test_instances_within_a_release_take_turns() -> None:
    fleet = [instance("2.3.0", n, 50) for n in range(3)]
    picked = {p.key for turn in range(3) if (p := pick(fleet, sticky_key="c", turn=turn))}
    assert picked == {i.key for i in fleet}


def test_a_release_of_weight_zero_gets_nobody_unless_every_release_is_zero() -> None:
    dark = [instance("2.3.0", 1, 100), instance("2.4.0", 1, 0)]
    assert {p.version for c in CALLERS if (p := pick(dark, sticky_key=c))} == {"2.3.0"}
    all_dark = [instance("2.3.0", 1, 0), instance("2.4.0", 1, 0)]
    assert {p.version for c in CALLERS if (p := pick(all_dark, sticky_key=c))} == {
        "2.3.0",
        "2.4.0",
    }


@st.composite
def any_fleets(draw: st.DrawFn) -> list[Instance]:
    """Zero to three releases of zero to three instances, in any order; weight 0 is common, so
    that releases (and whole fleets) of weight zero come up."""
    releases = draw(st.lists(st.sampled_from(["2.2.0", "2.3.0", "3.0.0"]), unique=True))
    fleet = [
        instance(release, n, draw(st.sampled_from([0, 0, 1, 30, 100])))
        for release in releases
        for n in range(draw(st.integers(0, 3)))
    ]
    return draw(st.permutations(fleet))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(fleet=any_fleets(), callers=st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_the_plan_picks_what_pick_picks(fleet: list[Instance], callers: list[str]) -> None:
    plan = Plan.of(fleet)
    for turn, caller in enumerate(callers * 4):
        assert plan.pick(sticky_key=caller, turn=turn) == pick(fleet, sticky_key=caller, turn=turn)
