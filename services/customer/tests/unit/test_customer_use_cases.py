"""Customer use cases on an in-memory store: profiles, addresses, history and who may do what."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bazaar_chassis import Caller, Forbidden, InvalidInput
from bazaar_chassis.testing import FakeUnits
from bazaar_customer import use_cases
from bazaar_customer.domain import Address, AddressNotFound, CustomerNotFound, HistoryEntry, Profile

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SAM = Caller(subject="u-sam", kind="user", organization="public", roles=("customer",),
             email="sam@bazaar.test")  # fmt: skip
SASHA = replace(SAM, subject="u-sasha", email="sasha@bazaar.test")
JENN = Caller(subject="u-jenn", kind="user", organization="bazaar", roles=("marketing",))
ADMIN = Caller(subject="u-ada", kind="user", organization="bazaar", roles=("admin",))


class FakeCustomerStore:
    """The `Customers` protocol over dicts."""

    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self.addresses_by: dict[tuple[str, str], Address] = {}
        self.entries: dict[str, HistoryEntry] = {}

    async def profile(self, subject: str) -> Profile | None:
        return self.profiles.get(subject)

    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Profile]]:
        ordered = sorted(self.profiles.values(), key=lambda p: p.email)
        return len(ordered), ordered[offset : offset + limit]

    async def save_profile(self, profile: Profile) -> None:
        current = self.profiles.get(profile.subject)
        if current is None or current.sequence < profile.sequence:
            self.profiles[profile.subject] = profile

    async def addresses(self, subject: str) -> list[Address]:
        return sorted(
            (a for (s, _), a in self.addresses_by.items() if s == subject), key=lambda a: a.label
        )

    async def put_address(self, address: Address) -> None:
        self.addresses_by[(address.subject, address.label)] = address

    async def delete_address(self, subject: str, label: str) -> bool:
        return self.addresses_by.pop((subject, label), None) is not None

    async def history(self, subject: str) -> list[HistoryEntry]:
        mine = [e for e in self.entries.values() if e.subject == subject]
        return sorted(mine, key=lambda e: e.placed_at, reverse=True)

    async def locked_entry(self, order_id: str) -> HistoryEntry | None:
        return self.entries.get(order_id)

    async def insert_entry(self, entry: HistoryEntry) -> bool:
        if entry.order_id in self.entries:
            return False
        self.entries[entry.order_id] = entry
        return True

    async def update_entry(self, entry: HistoryEntry) -> None:
        self.entries[entry.order_id] = entry


def fake_units() -> FakeUnits[FakeCustomerStore]:
    return FakeUnits(FakeCustomerStore())


async def register(store: FakeCustomerStore, caller: Caller, *, sequence: int = 1) -> None:
    await use_cases.record_registration(
        store=store,
        subject=caller.subject,
        email=caller.email or "x@bazaar.test",
        name="Sam Shopper",
        organization=caller.organization,
        sequence=sequence,
    )


async def order_fact(
    store: FakeCustomerStore, kind: str, order_id: str, *, sequence: int, when: datetime = NOW
) -> HistoryEntry:
    return await use_cases.record_order_fact(
        store=store,
        kind=kind,
        order_id=order_id,
        subject=SAM.subject,
        total_amount=1250,
        total_currency="USD",
        when=when,
        sequence=sequence,
    )


async def put_home(units: FakeUnits[FakeCustomerStore], caller: Caller, **fields: str) -> Address:
    address = {"line1": "1 Market St", "line2": "", "city": "SF", "postal_code": "94105",
               "country": "us", **fields}  # fmt: skip
    return await use_cases.put_address(
        units=units, caller=caller, subject=SAM.subject, label="home", clock=lambda: NOW, **address
    )


async def test_my_record_is_provisional_until_the_registration_arrives_then_registered() -> None:
    units = fake_units()
    before = await use_cases.my_customer(reads=units.reads, caller=SAM)
    assert (before.profile.registered, before.profile.email) == (False, "sam@bazaar.test")
    await register(units.store, SAM)
    after = await use_cases.my_customer(reads=units.reads, caller=SAM)
    assert (after.profile.registered, after.profile.name) == (True, "Sam Shopper")


async def test_an_older_registration_fact_does_not_replace_a_newer_profile() -> None:
    units = fake_units()
    await register(units.store, SAM, sequence=2)
    await use_cases.record_registration(
        store=units.store, subject=SAM.subject, email="old@x.test", name="Old", organization="p",
        sequence=1,
    )  # fmt: skip
    assert units.store.profiles[SAM.subject].email == "sam@bazaar.test"


async def test_an_address_is_normalised_stored_and_deleted_by_its_owner() -> None:
    units = fake_units()
    address = await put_home(units, SAM)
    assert address.country == "US"
    mine = await use_cases.my_customer(reads=units.reads, caller=SAM)
    assert [a.label for a in mine.addresses] == ["home"]
    await use_cases.delete_address(units=units, caller=SAM, subject=SAM.subject, label="home")
    assert not units.store.addresses_by
    with pytest.raises(AddressNotFound, match="home"):
        await use_cases.delete_address(units=units, caller=SAM, subject=SAM.subject, label="home")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("country", "USA", "country"), ("postal_code", "!", "postal_code"), ("line1", "  ", "line1")],
)
async def test_an_invalid_address_is_refused_with_the_field_named(
    field: str, value: str, fragment: str
) -> None:
    units = fake_units()
    with pytest.raises(InvalidInput, match=fragment):
        await put_home(units, SAM, **{field: value})
    assert not units.store.addresses_by


async def test_marketing_may_read_any_customer_but_never_write_one() -> None:
    units = fake_units()
    await register(units.store, SAM)
    read = await use_cases.get_customer(reads=units.reads, caller=JENN, subject=SAM.subject)
    assert read.profile.subject == SAM.subject
    with pytest.raises(Forbidden, match="marketing"):
        await put_home(units, JENN)
    with pytest.raises(Forbidden, match="marketing"):
        await use_cases.delete_address(units=units, caller=JENN, subject=JENN.subject, label="x")


async def test_a_customer_may_not_read_or_change_another_customer() -> None:
    units = fake_units()
    await register(units.store, SAM)
    with pytest.raises(Forbidden, match="your own"):
        await use_cases.get_customer(reads=units.reads, caller=SASHA, subject=SAM.subject)
    with pytest.raises(Forbidden, match="your own"):
        await put_home(units, SASHA)
    with pytest.raises(Forbidden, match="admin and marketing"):
        await use_cases.list_customers(reads=units.reads, caller=SASHA, limit=10, offset=0)


async def test_an_unknown_customer_is_not_found_for_an_admin() -> None:
    with pytest.raises(CustomerNotFound, match="u-nobody"):
        await use_cases.get_customer(reads=fake_units().reads, caller=ADMIN, subject="u-nobody")


async def test_the_history_keeps_the_newest_status_whatever_order_the_facts_arrive_in() -> None:
    store = FakeCustomerStore()
    placed_at = NOW - timedelta(minutes=5)
    await order_fact(store, "confirmed", "o-1", sequence=3, when=NOW)
    entry = await order_fact(store, "placed", "o-1", sequence=1, when=placed_at)
    assert (entry.status, entry.placed_at, entry.sequence) == ("confirmed", placed_at, 3)
    entry = await order_fact(store, "cancelled", "o-1", sequence=4, when=NOW + timedelta(hours=1))
    assert (entry.status, entry.placed_at) == ("cancelled", placed_at)


async def test_the_history_lists_the_newest_order_first() -> None:
    units = fake_units()
    await order_fact(units.store, "placed", "o-old", sequence=1, when=NOW - timedelta(days=1))
    await order_fact(units.store, "placed", "o-new", sequence=1, when=NOW)
    mine = await use_cases.my_customer(reads=units.reads, caller=SAM)
    assert [o.order_id for o in mine.orders] == ["o-new", "o-old"]
    assert mine.orders[0].status == "open"
