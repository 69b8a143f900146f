"""What the pricing service does, one keyword-only function per use case (the API only parses).

Writes take `units` (the store and `emit`, in one transaction), reads take `reads`, and both get
the store as the `Prices` protocol below, so unit tests run them on an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bazaar_chassis import Clock, Reads, Units, Work, check_sku, parse_skus, utc_now
from bazaar_pricing import domain, events
from bazaar_pricing.domain import PriceList, PriceRow


class Prices(Protocol):
    """The price store as the use cases need it (`store.PriceStore` in production)."""

    async def load(self, sku: str, *, lock: bool = False) -> PriceList: ...
    async def load_base_prices(self, skus: Sequence[str]) -> dict[str, PriceList]: ...
    async def save_base_price(
        self, *, before: PriceList, after: PriceList, currency: str
    ) -> None: ...
    async def save_rows(self, *, before: PriceList, after: PriceList) -> None: ...


def _announce(work: Work[Prices], after: PriceList) -> None:
    """Stage every published major of price_changed for the new list, all with one sequence."""
    for event_type, payload in events.PUBLISHED.items():
        work.emit(event_type, subject=after.sku, sequence=after.version, data=payload(after))


async def set_base_price(
    *,
    units: Units[Prices],
    sku: str,
    amount: int,
    currency: str,
    expected_version: int | None,
    clock: Clock = utc_now,
) -> tuple[PriceList, PriceRow]:
    """Create or replace the base price of `sku` in `currency`; other rows stay as they are.

    Setting the amount it already has changes nothing: no new version, no event.
    """
    check_sku(sku)
    async with units() as work:
        before = await work.store.load(sku, lock=True)
        after = domain.set_base_price(
            before, amount=amount, currency=currency, expected_version=expected_version, now=clock()
        )
        if after is not before:
            await work.store.save_base_price(before=before, after=after, currency=currency)
            _announce(work, after)
    row = after.base_price(currency)
    assert row is not None, "set_base_price always leaves a base price in that currency"
    return after, row


async def get_base_price(
    *, reads: Reads[Prices], sku: str, currency: str | None
) -> tuple[PriceList, PriceRow]:
    """The base price v1 shows for `sku` (404 when there is none, 422 when it is ambiguous)."""
    check_sku(sku)
    async with reads() as store:
        price_list = await store.load(sku)
    return price_list, domain.require_base_price(price_list, currency)


async def get_base_prices(
    *, reads: Reads[Prices], skus: str, currency: str | None
) -> list[tuple[PriceList, PriceRow]]:
    """Base prices of the comma-separated `skus`, in request order; those without one left out."""
    wanted = parse_skus(skus)
    if currency is not None:
        domain.check_currency(currency)
    async with reads() as store:
        price_lists = await store.load_base_prices(wanted)
    found = []
    for sku in wanted:
        price_list = price_lists.get(sku)
        row = domain.base_price_for(price_list, currency) if price_list else None
        if price_list is not None and row is not None:
            found.append((price_list, row))
    return found


async def set_prices(
    *,
    units: Units[Prices],
    sku: str,
    rows: Sequence[PriceRow],
    expected_version: int | None,
    clock: Clock = utc_now,
) -> PriceList:
    """v2: replace every price of `sku` with `rows` (tiers, groups, windows, currencies).

    Writing the list it already has changes nothing: no new version, no event.
    """
    check_sku(sku)
    async with units() as work:
        before = await work.store.load(sku, lock=True)
        after = domain.replace_rows(
            before, rows=rows, expected_version=expected_version, now=clock()
        )
        if after is not before:
            await work.store.save_rows(before=before, after=after)
            _announce(work, after)
    return after


async def get_prices(*, reads: Reads[Prices], sku: str) -> PriceList:
    """v2: every price of `sku` (404 when it never had one)."""
    check_sku(sku)
    async with reads() as store:
        price_list = await store.load(sku)
    if price_list.version == 0:
        raise domain.PriceListNotFound(sku)
    return price_list


async def quote(
    *,
    reads: Reads[Prices],
    sku: str,
    currency: str,
    quantity: int,
    customer_group: str | None,
    clock: Clock = utc_now,
) -> tuple[PriceList, PriceRow]:
    """v2: the price `select_price` picks for that purchase now (404 when no row applies)."""
    price_list = await get_prices(reads=reads, sku=sku)
    row = domain.select_price(
        price_list.rows,
        currency=currency,
        quantity=quantity,
        customer_group=customer_group,
        now=clock(),
    )
    if row is None:
        raise domain.NoApplicablePrice(
            sku=sku, currency=currency, quantity=quantity, customer_group=customer_group
        )
    return price_list, row
