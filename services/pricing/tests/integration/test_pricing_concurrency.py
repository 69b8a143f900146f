"""Concurrent price writes, on SQLite and on PostgreSQL: SQLite's single writer serialises every
write, PostgreSQL lets them race, so only the PostgreSQL run can catch a lost or refused update.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import running_app
from bazaar_pricing.service import build_app

PRICES = "/pricing/1/prices"
WRITERS = 12

pytestmark = pytest.mark.each_database


@pytest.fixture
async def client(service_settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(build_app(service_settings)) as client:
        yield client


async def test_concurrent_unconditional_puts_of_a_new_sku_all_succeed_one_after_another(
    client: httpx.AsyncClient,
) -> None:
    sku = f"COF-{uuid.uuid4().hex[:8]}"
    replies = await asyncio.gather(
        *(
            client.put(f"{PRICES}/{sku}", json={"amount": 1000 + n, "currency": "USD"})
            for n in range(WRITERS)
        )
    )
    # no `version` in the body: last writer wins, nobody is told their write was stale
    assert Counter(r.status_code for r in replies) == {200: WRITERS}, [r.text for r in replies]
    assert sorted(r.json()["version"] for r in replies) == list(range(1, WRITERS + 1))
    last = max(replies, key=lambda r: r.json()["version"]).json()
    assert (await client.get(f"{PRICES}/{sku}")).json() == last


async def test_concurrent_conditional_puts_let_exactly_one_writer_win(
    client: httpx.AsyncClient,
) -> None:
    sku = f"COF-{uuid.uuid4().hex[:8]}"
    first = await client.put(f"{PRICES}/{sku}", json={"amount": 900, "currency": "USD"})
    assert first.json()["version"] == 1
    replies = await asyncio.gather(
        *(
            client.put(
                f"{PRICES}/{sku}", json={"amount": 1000 + n, "currency": "USD", "version": 1}
            )
            for n in range(WRITERS)
        )
    )
    assert Counter(r.status_code for r in replies) == {200: 1, 409: WRITERS - 1}
    winner = next(r for r in replies if r.status_code == 200).json()
    assert (await client.get(f"{PRICES}/{sku}")).json() == winner
    assert winner["version"] == 2
