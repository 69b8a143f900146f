"""Categories, the tree they form and the products placed in them. No I/O here.

Rules that live here, so they hold whatever the caller (API v1, a later v2, a test) is:
- a category key is a URL-safe slug; a SKU is only checked for syntax, because category does not
  own products and never asks the product service whether one exists (autonomy, M3);
- a category's parent must exist and a category can never become its own ancestor;
- positions are non-negative integers that order siblings and the products of one category;
- every real change bumps the version (the CloudEvent `sequence`); a write that changes nothing
  keeps the version, so replaying a PUT never publishes a second, identical fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from bazaar_chassis import Conflict, InvalidInput, NotFound, StaleVersion, check_sku, new_id

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_NAME_LENGTH = 200
# Positions are stored as 32-bit integers on PostgreSQL; a cap well inside that range turns an
# absurd position into a 422 instead of a database overflow (a 500).
MAX_POSITION = 1_000_000_000


class InvalidCategoryKey(InvalidInput):
    def __init__(self, key: str, *, role: str = "category key") -> None:
        super().__init__(
            f"{role} {key!r} is invalid: use 1-64 lowercase letters, digits or '-', "
            "starting with a letter or digit"
        )


class InvalidName(InvalidInput):
    def __init__(self) -> None:
        super().__init__(f"name must have 1-{MAX_NAME_LENGTH} characters and not be blank")


class InvalidPosition(InvalidInput):
    def __init__(self, position: int) -> None:
        super().__init__(f"position {position} is invalid: use an integer from 0 to {MAX_POSITION}")


class CategoryNotFound(NotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no category with key {key!r}")


class UnknownParent(InvalidInput):
    def __init__(self, parent: str) -> None:
        super().__init__(f"parent {parent!r} does not exist; create it first")


class CycleInTree(Conflict):
    """Moving a category under one of its own descendants (or itself) would detach a loop."""

    def __init__(self, key: str, parent: str, path: list[str]) -> None:
        chain = " → ".join([key, *path])
        super().__init__(
            f"category {key!r} cannot move under {parent!r}: a category cannot be its own "
            f"ancestor (parent chain {chain})"
        )


class NotAssigned(NotFound):
    def __init__(self, key: str, sku: str) -> None:
        super().__init__(f"product {sku!r} is not assigned to category {key!r}")


class ConcurrentWrite(Conflict):
    """Two requests created the same thing at once; the loser is told to read and retry."""

    def __init__(self, resource: str) -> None:
        super().__init__(f"{resource} was written by a concurrent request; read it and retry")


def check_key(key: str, *, role: str = "category key") -> str:
    if not KEY_PATTERN.fullmatch(key):  # `$` alone would let a trailing newline through
        raise InvalidCategoryKey(key, role=role)
    return key


def check_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidName()
    return name


def check_position(position: int) -> int:
    if not 0 <= position <= MAX_POSITION:
        raise InvalidPosition(position)
    return position


def check_parent(*, key: str, parent: str, parents: Mapping[str, str | None]) -> None:
    """Refuse `parent` for `key` if it does not exist or if `key` is among its ancestors.

    `parents` maps category keys to their parent keys; it needs to hold at least `parent` and its
    ancestors (the store loads just that chain). Walking up from `parent` reaches a root unless
    the move would close a loop through `key`.
    """
    check_key(parent, role="parent")
    if parent == key:
        raise CycleInTree(key, parent, [parent])
    if parent not in parents:
        raise UnknownParent(parent)
    path: list[str] = []
    seen: set[str] = set()
    node: str | None = parent
    while node is not None and node not in seen:
        path.append(node)
        if node == key:
            raise CycleInTree(key, parent, path)
        seen.add(node)
        node = parents.get(node)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    key: str
    name: str
    parent: str | None
    position: int
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    """A product's place in one category; kept (assigned=False) after an unassignment so that
    the version keeps growing across unassign/re-assign and consumers can order the facts."""

    category: str
    sku: str
    position: int
    assigned: bool
    version: int
    created_at: datetime
    updated_at: datetime


def put_category(
    current: Category | None,
    *,
    key: str,
    name: str,
    parent: str | None,
    position: int,
    parents: Mapping[str, str | None],
    now: datetime,
    expected_version: int | None = None,
) -> Category:
    """PUT semantics: a new category at version 1, or `current` with this name, parent, position.

    `expected_version`, when given, is the version the caller last read; an older one is stale,
    and naming any version for a category that does not exist yet is stale too. A revision that
    changes nothing returns `current` itself, at its current version.
    """
    actual = current.version if current else 0
    if expected_version is not None and expected_version != actual:
        raise StaleVersion(resource=f"category {key}", expected=expected_version, actual=actual)
    check_key(key)
    check_name(name)
    check_position(position)
    if parent is not None and (current is None or parent != current.parent):
        check_parent(key=key, parent=parent, parents=parents)
    if current is None:
        return Category(
            id=new_id(),
            key=key,
            name=name,
            parent=parent,
            position=position,
            version=1,
            created_at=now,
            updated_at=now,
        )
    if (name, parent, position) == (current.name, current.parent, current.position):
        return current
    return replace(
        current, name=name, parent=parent, position=position, version=actual + 1, updated_at=now
    )


def assign(
    current: Membership | None,
    *,
    category: str,
    sku: str,
    position: int,
    now: datetime,
) -> Membership:
    """Place `sku` in `category` at `position`: a new membership, a re-assignment or a move.

    Re-assigning or moving bumps the version; assigning again at the same position returns
    `current` unchanged.
    """
    check_sku(sku)
    check_position(position)
    if current is None:
        return Membership(
            category=category,
            sku=sku,
            position=position,
            assigned=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
    if current.assigned and current.position == position:
        return current
    return replace(
        current, position=position, assigned=True, version=current.version + 1, updated_at=now
    )


def unassign(current: Membership | None, *, category: str, sku: str, now: datetime) -> Membership:
    """Take `sku` out of `category`; the membership stays, unassigned, at a higher version."""
    if current is None or not current.assigned:
        raise NotAssigned(category, sku)
    return replace(current, assigned=False, version=current.version + 1, updated_at=now)
