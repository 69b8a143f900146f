"""What the customer service does, one keyword-only function per use case (the API only parses).

Requests take `units`/`reads` and the `caller`; facts from the bus take the store of the unit of
work the consumer opened. The store is the `Customers` protocol below, so the unit tests run
these functions on an in-memory fake (tests/unit/test_customer_use_cases.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bazaar_chassis import Caller, Clock, Forbidden, Reads, Units, utc_now
from bazaar_customer import domain
from bazaar_customer.domain import Address, Customer, HistoryEntry, Profile


class Customers(Protocol):
    """The customer store as the use cases need it (`store.CustomerStore` in production)."""

    async def profile(self, subject: str) -> Profile | None: ...
    async def page(self, *, limit: int, offset: int) -> tuple[int, list[Profile]]: ...
    async def save_profile(self, profile: Profile) -> None: ...
    async def addresses(self, subject: str) -> list[Address]: ...
    async def put_address(self, address: Address) -> None: ...
    async def delete_address(self, subject: str, label: str) -> bool: ...
    async def history(self, subject: str) -> list[HistoryEntry]: ...
    async def locked_entry(self, order_id: str) -> HistoryEntry | None: ...
    async def insert_entry(self, entry: HistoryEntry) -> bool: ...
    async def update_entry(self, entry: HistoryEntry) -> None: ...


async def _whole(store: Customers, profile: Profile) -> Customer:
    return Customer(
        profile=profile,
        addresses=await store.addresses(profile.subject),
        orders=await store.history(profile.subject),
    )


async def my_customer(*, reads: Reads[Customers], caller: Caller) -> Customer:
    """The caller's own record. Before identity's registration fact has arrived, the profile is
    the one the gateway's assertion gives (`registered: false`), with what is already known."""
    if caller.kind != "user":
        raise Forbidden("only a signed-in user has a customer record")
    async with reads() as store:
        profile = await store.profile(caller.subject) or domain.provisional_profile(caller)
        return await _whole(store, profile)


async def get_customer(*, reads: Reads[Customers], caller: Caller, subject: str) -> Customer:
    domain.may_read(caller, subject)
    async with reads() as store:
        profile = await store.profile(subject)
        if profile is None:
            raise domain.CustomerNotFound(subject)
        return await _whole(store, profile)


async def list_customers(
    *, reads: Reads[Customers], caller: Caller, limit: int, offset: int
) -> tuple[int, list[Profile]]:
    """One page of profiles by email, for admin and marketing."""
    if not domain.READER_ROLES & set(caller.roles):
        raise Forbidden("only admin and marketing may list customers")
    async with reads() as store:
        return await store.page(limit=limit, offset=offset)


async def put_address(
    *,
    units: Units[Customers],
    caller: Caller,
    subject: str,
    label: str,
    line1: str,
    line2: str,
    city: str,
    postal_code: str,
    country: str,
    clock: Clock = utc_now,
) -> Address:
    """Add or replace the address with this label."""
    domain.may_write(caller, subject)
    address = domain.check_address(
        Address(
            subject=subject,
            label=label,
            line1=line1.strip(),
            line2=line2.strip(),
            city=city.strip(),
            postal_code=postal_code.strip(),
            country=country.strip().upper(),
            updated_at=clock(),
        )
    )
    async with units() as work:
        await work.store.put_address(address)
    return address


async def delete_address(
    *, units: Units[Customers], caller: Caller, subject: str, label: str
) -> None:
    domain.may_write(caller, subject)
    async with units() as work:
        if not await work.store.delete_address(subject, label):
            raise domain.AddressNotFound(label)


async def record_registration(
    *, store: Customers, subject: str, email: str, name: str, organization: str, sequence: int
) -> None:
    """identity.user_registered: the profile (a newer fact about the user replaces it)."""
    await store.save_profile(
        Profile(
            subject=subject,
            email=email,
            name=name,
            organization=organization,
            registered=True,
            sequence=max(sequence, 1),
        )
    )


async def record_order_fact(
    *,
    store: Customers,
    kind: str,
    order_id: str,
    subject: str,
    total_amount: int,
    total_currency: str,
    when: datetime,
    sequence: int,
) -> HistoryEntry:
    """order.placed / confirmed / cancelled: the history entry, whatever order they arrive in."""
    fact = HistoryEntry(
        order_id=order_id,
        subject=subject,
        status=domain.ORDER_STATUS[kind],
        total_amount=total_amount,
        total_currency=total_currency,
        placed_at=when,
        sequence=sequence,
    )
    current = await store.locked_entry(order_id)
    if current is None:
        if await store.insert_entry(fact):
            return fact
        current = await store.locked_entry(order_id)  # a concurrent fact of the same order won
    entry = domain.merge_history(current, fact, placed=kind == "placed")
    await store.update_entry(entry)
    return entry
