"""Category tree, placement and versioning rules, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bazaar_category.domain import (
    MAX_POSITION,
    Category,
    CycleInTree,
    InvalidCategoryKey,
    InvalidName,
    InvalidPosition,
    Membership,
    NotAssigned,
    UnknownParent,
    assign,
    check_key,
    check_parent,
    put_category,
    unassign,
)
from bazaar_chassis import InvalidSku, StaleVersion

NOW = datetime(2026, 11, 26, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)

# coffee ─┬─ espresso ── ristretto
#         └─ filter
# tea
TREE: dict[str, str | None] = {
    "coffee": None,
    "espresso": "coffee",
    "ristretto": "espresso",
    "filter": "coffee",
    "tea": None,
}


def a_category(key: str = "coffee", parent: str | None = None) -> Category:
    return put_category(
        None, key=key, name="Coffee", parent=parent, position=0, parents=TREE, now=NOW
    )


def a_membership() -> Membership:
    return assign(None, category="coffee", sku="COF-1", position=3, now=NOW)


@pytest.mark.parametrize("key", ["coffee", "a", "0", "single-origin-2", "x" * 64])
def test_a_lowercase_slug_of_up_to_64_characters_is_a_valid_key(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "Coffee", "-coffee", "has space", "x" * 65, "café", "a_b", "a.b", "a/b"]
)
def test_an_invalid_key_is_refused_with_the_rule_in_the_message(key: str) -> None:
    with pytest.raises(InvalidCategoryKey, match="1-64 lowercase letters"):
        a_category(key=key)


@pytest.mark.parametrize("sku", ["", "-x", "has space", "x" * 65, "ümlaut"])
def test_an_invalid_sku_cannot_be_assigned(sku: str) -> None:
    with pytest.raises(InvalidSku, match="1-64 letters"):
        assign(None, category="coffee", sku=sku, position=0, now=NOW)


def test_any_syntactically_valid_sku_can_be_assigned_without_knowing_the_product() -> None:
    assert assign(None, category="coffee", sku="Any.Thing_1-2", position=0, now=NOW).assigned


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_blank_or_overlong_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidName, match="1-200 characters"):
        put_category(None, key="k", name=name, parent=None, position=0, parents=TREE, now=NOW)


def test_a_new_category_starts_at_version_one_with_equal_timestamps() -> None:
    category = a_category()
    assert (category.version, category.created_at, category.updated_at) == (1, NOW, NOW)


def test_a_parent_must_exist() -> None:
    with pytest.raises(UnknownParent, match="parent 'nope' does not exist"):
        a_category(key="new", parent="nope")


def test_a_parent_key_must_itself_be_a_valid_key() -> None:
    with pytest.raises(InvalidCategoryKey, match="parent 'Not A Key'"):
        a_category(key="new", parent="Not A Key")


def test_a_category_cannot_be_its_own_parent() -> None:
    with pytest.raises(CycleInTree, match="own ancestor"):
        check_parent(key="coffee", parent="coffee", parents=TREE)


def test_a_new_category_naming_itself_as_parent_is_a_cycle_not_an_unknown_parent() -> None:
    with pytest.raises(CycleInTree, match="new → new"):
        a_category(key="new", parent="new")


def test_a_category_cannot_move_under_its_own_descendant() -> None:
    with pytest.raises(CycleInTree, match="coffee → ristretto → espresso → coffee"):
        check_parent(key="coffee", parent="ristretto", parents=TREE)


@pytest.mark.parametrize(("key", "parent"), [("ristretto", "filter"), ("tea", "espresso")])
def test_a_category_can_move_under_a_category_outside_its_subtree(key: str, parent: str) -> None:
    check_parent(key=key, parent=parent, parents=TREE)


def test_cycle_detection_terminates_even_on_a_map_that_already_loops() -> None:
    looped = {"a": "b", "b": "a"}
    check_parent(key="c", parent="a", parents=looped)


def test_a_stale_revision_is_refused_and_names_both_versions() -> None:
    current = put_category(
        a_category(), key="coffee", name="Kaffee", parent=None, position=0, parents={}, now=LATER
    )
    with pytest.raises(StaleVersion, match="at version 2, the request was based on version 1"):
        put_category(
            current,
            key="coffee",
            name="Lost update",
            parent=None,
            position=0,
            parents={},
            now=LATER,
            expected_version=1,
        )


def test_naming_a_version_for_a_category_that_does_not_exist_is_stale() -> None:
    with pytest.raises(StaleVersion, match="at version 0, the request was based on version 3"):
        put_category(
            None,
            key="k",
            name="K",
            parent=None,
            position=0,
            parents={},
            now=NOW,
            expected_version=3,
        )


def test_a_revision_bumps_the_version_and_keeps_id_and_creation_time() -> None:
    original = a_category()
    revised = put_category(
        original,
        key="coffee",
        name="Coffee",
        parent=None,
        position=4,
        parents={},
        now=LATER,
        expected_version=1,
    )
    assert (revised.version, revised.position, revised.id) == (2, 4, original.id)
    assert (revised.created_at, revised.updated_at) == (NOW, LATER)


def test_a_revision_that_changes_nothing_keeps_the_version() -> None:
    current = a_category()
    same = put_category(
        current, key="coffee", name="Coffee", parent=None, position=0, parents={}, now=LATER
    )
    assert same is current


def test_a_revision_that_moves_a_category_under_its_descendant_is_a_cycle() -> None:
    coffee = a_category()
    with pytest.raises(CycleInTree):
        put_category(
            coffee,
            key="coffee",
            name="Coffee",
            parent="espresso",
            position=0,
            parents=TREE,
            now=LATER,
        )


@pytest.mark.parametrize("position", [-1, MAX_POSITION + 1])
def test_a_position_outside_zero_to_the_maximum_is_refused(position: int) -> None:
    with pytest.raises(InvalidPosition, match=f"position {position} is invalid"):
        assign(None, category="coffee", sku="COF-1", position=position, now=NOW)
    with pytest.raises(InvalidPosition):
        put_category(
            a_category(),
            key="coffee",
            name="Coffee",
            parent=None,
            position=position,
            parents={},
            now=NOW,
        )


@pytest.mark.parametrize("position", [0, 1, MAX_POSITION])
def test_a_position_from_zero_to_the_maximum_is_accepted(position: int) -> None:
    assert assign(None, category="coffee", sku="COF-1", position=position, now=NOW).position == (
        position
    )


def test_a_first_assignment_is_version_one() -> None:
    membership = a_membership()
    assert (membership.assigned, membership.version, membership.position) == (True, 1, 3)


def test_moving_a_product_bumps_its_membership_version() -> None:
    moved = assign(a_membership(), category="coffee", sku="COF-1", position=7, now=LATER)
    assert (moved.version, moved.position, moved.updated_at) == (2, 7, LATER)


def test_assigning_again_at_the_same_position_changes_nothing() -> None:
    current = a_membership()
    assert assign(current, category="coffee", sku="COF-1", position=3, now=LATER) is current


def test_unassigning_keeps_the_membership_at_a_higher_version() -> None:
    gone = unassign(a_membership(), category="coffee", sku="COF-1", now=LATER)
    assert (gone.assigned, gone.version) == (False, 2)


def test_a_reassignment_after_an_unassignment_gets_a_higher_version_still() -> None:
    gone = unassign(a_membership(), category="coffee", sku="COF-1", now=LATER)
    back = assign(gone, category="coffee", sku="COF-1", position=3, now=LATER)
    assert (back.assigned, back.version, back.created_at) == (True, 3, NOW)


def test_unassigning_what_is_not_assigned_is_not_found() -> None:
    with pytest.raises(NotAssigned, match="'COF-1' is not assigned to category 'coffee'"):
        unassign(None, category="coffee", sku="COF-1", now=NOW)
    gone = unassign(a_membership(), category="coffee", sku="COF-1", now=NOW)
    with pytest.raises(NotAssigned):
        unassign(gone, category="coffee", sku="COF-1", now=NOW)
