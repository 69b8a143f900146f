"""Customers, their addresses and order history, and who may see or change them. No I/O here.

A profile comes from identity's registration; the history from the order's facts, which may
arrive in any order (a `confirmed` before its `placed`), so an entry keeps the newest status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from bazaar_chassis import Caller, Forbidden, InvalidInput, NotFound

READER_ROLES = frozenset({"admin", "marketing"})  # may read every customer (Jenn's rule, M7)
WRITER_ROLES = frozenset({"admin"})  # may change another customer's data
READ_ONLY_ROLES = frozenset({"marketing"})  # never writes customer data, not even their own

LABEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


class CustomerNotFound(NotFound):
    def __init__(self, subject: str) -> None:
        super().__init__(f"no customer {subject!r}")


class AddressNotFound(NotFound):
    def __init__(self, label: str) -> None:
        super().__init__(f"no address labelled {label!r}")


@dataclass(frozen=True, slots=True)
class Profile:
    subject: str
    email: str
    name: str
    organization: str
    registered: bool  # False: built from the caller's assertion before identity's fact arrived
    sequence: int


@dataclass(frozen=True, slots=True)
class Address:
    subject: str
    label: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    order_id: str
    subject: str
    status: str
    total_amount: int
    total_currency: str
    placed_at: datetime
    sequence: int


@dataclass(frozen=True, slots=True)
class Customer:
    """What `GET /customers/...` answers: a profile, its addresses and history, newest first."""

    profile: Profile
    addresses: list[Address]
    orders: list[HistoryEntry]


ORDER_STATUS = {"placed": "open", "confirmed": "confirmed", "cancelled": "cancelled"}


def provisional_profile(caller: Caller) -> Profile:
    """The caller's own profile while identity's `user_registered` is still on its way."""
    return Profile(
        subject=caller.subject,
        email=caller.email or "",
        name="",
        organization=caller.organization,
        registered=False,
        sequence=0,
    )


def check_address(address: Address) -> Address:
    """The rules an address obeys whoever sends it (the API's schema says the same)."""
    problems = []
    if not LABEL.match(address.label):
        problems.append("label: 1-32 lowercase letters, digits, '-' or '_'")
    if not address.line1.strip():
        problems.append("line1: must not be blank")
    if not address.city.strip():
        problems.append("city: must not be blank")
    if not POSTAL_CODE.match(address.postal_code):
        problems.append("postal_code: 2-12 letters, digits, spaces or '-'")
    if not COUNTRY.match(address.country):
        problems.append("country: an ISO 3166-1 alpha-2 code such as 'US'")
    if problems:
        raise InvalidInput("invalid address: " + "; ".join(problems))
    return address


def merge_history(
    current: HistoryEntry | None, fact: HistoryEntry, *, placed: bool
) -> HistoryEntry:
    """Fold one order fact into the entry: the status of the newest fact (by the order's
    version) wins; `order.placed` is the one that knows when the order was placed."""
    if current is None:
        return fact
    newer = fact.sequence > current.sequence
    return replace(
        current if not newer else fact,
        placed_at=fact.placed_at if placed else current.placed_at,
        sequence=max(fact.sequence, current.sequence),
    )


def may_read(caller: Caller, subject: str) -> None:
    """A customer reads only their own record; admin and marketing read everyone's."""
    if caller.subject != subject and not READER_ROLES & set(caller.roles):
        raise Forbidden("you may read only your own customer record")


def may_write(caller: Caller, subject: str) -> None:
    """Marketing never writes customer data (M7); others change only their own."""
    roles = set(caller.roles)
    if READ_ONLY_ROLES & roles and not WRITER_ROLES & roles:
        raise Forbidden("marketing may read customers but never change them")
    if caller.kind != "user":
        raise Forbidden("only a signed-in customer has addresses")
    if caller.subject != subject and not WRITER_ROLES & roles:
        raise Forbidden("you may change only your own customer record")
