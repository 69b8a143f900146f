"""P7b's probe of the platform: products bought and held in a cart, then recalled one at a time
while the recall flow's facts are watched on the bus and catalog and search are polled.

The bus is watched as `bazaar recall` watches it (bazaar_cli.recall: the operator's ordered
consumers, a fact belongs to a recall by its trace id, SKU or cancelled order), subscribed once
for the whole run. Catalog and search publish nothing about a recall, so their reaction is seen
through the gateway: the product answers 404, and a search for its own word no longer lists it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from nats.aio.msg import Msg

from bazaar_cli.recall import Reaction, RecallWatch
from bench.p3_probe import stocked_product
from bench.p5_probe import CheckoutSamples, Shopper
from bench.platform import Api, PlatformFailed

REASON = "bench: the lid may come off"
DELISTED = "(catalog read model) product → 404"
DROPPED = "(search index) no longer found"
POLL_INTERVAL_S = 0.02
CASCADE_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 60.0
STOCK = 20


@dataclass(frozen=True, slots=True)
class Recallable:
    """A bench product, the word only its name contains, and the order that bought it."""

    sku: str
    word: str
    order_id: str = ""


def products(count: int) -> Iterator[Recallable]:
    """`count` products with SKUs and search words of their own (a recall is final)."""
    run = uuid.uuid4().hex[:6]
    for number in range(1, count + 1):
        yield Recallable(sku=f"BENCH-P7-{run}-{number:02d}".upper(), word=f"rclb{run}n{number}")


class Follower:
    """Hands every message of the recall flow to the recall being timed now (if any)."""

    def __init__(self) -> None:
        self.current: RecallWatch | None = None

    async def on_message(self, message: Msg) -> None:
        if self.current is not None:
            await self.current.on_message(message)


@dataclass
class Shoppers:
    """The buyer (one order per product) and the holder (every product in one active cart)."""

    buyer: Shopper
    holder: Shopper
    admin: str  # reads stock
    merch: str  # creates products, posts recalls
    cart_id: str = ""
    checkouts: CheckoutSamples = field(default_factory=CheckoutSamples)


async def _until(what: str, condition: Callable[[], Awaitable[bool]]) -> None:
    """Poll `condition` until it holds (setup only, never timed)."""
    try:
        async with asyncio.timeout(SETUP_TIMEOUT_S):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise PlatformFailed(f"P7b setup: {what} within {SETUP_TIMEOUT_S:g} s") from None


async def _found(api: Api, item: Recallable) -> bool:
    async with api.session.get(
        f"{api.base_url}/search/1/products", params={"q": item.word, "limit": "10"}
    ) as reply:
        body = await reply.json(content_type=None)
        return reply.status == 200 and item.sku in [i["sku"] for i in body.get("items", [])]


async def _listed(api: Api, item: Recallable) -> bool:
    async with api.session.get(f"{api.base_url}/catalog/1/products/{item.sku}") as reply:
        body = await reply.json(content_type=None)
        return reply.status == 200 and body.get("available") == STOCK


async def prepare(api: Api, people: Shoppers, *, count: int) -> list[Recallable]:
    """Products with a price and stock, each found by search and listed by the catalog, each
    bought (order confirmed) by the buyer and held in the holder's cart."""
    items = list(products(count))
    for item in items:
        name = f"Recall bench kettle {item.word}"
        await stocked_product(api, people.merch, code=item.sku, name=name, stock=STOCK)
    for item in items:
        await _until(f"search never found {item.sku}", partial(_found, api, item))
        await _until(f"the catalog never listed {item.sku}", partial(_listed, api, item))
    bought = []
    for item in items:
        order_id = await people.buyer.buy(item.sku, people.checkouts)
        if order_id is None:
            raise PlatformFailed(f"the bench order of {item.sku} was not confirmed")
        bought.append(Recallable(item.sku, item.word, order_id))
    people.cart_id = await people.holder.fresh_cart()
    for item in bought:
        await people.holder.add(people.cart_id, item.sku)
    return bought


async def _poll(api: Api, watch: RecallWatch, item: Recallable) -> None:
    """Catalog and search until each has dropped the product; each seen once, when it is."""
    delisted = dropped = False
    while not (delisted and dropped):
        if not delisted:
            async with api.session.get(f"{api.base_url}/catalog/1/products/{item.sku}") as reply:
                if reply.status == 404:
                    delisted = True
                    watch.seen("catalog", DELISTED, "GET /catalog/1/products/{sku} → 404")
        if not dropped and not await _found(api, item):
            dropped = True
            watch.seen("search", DROPPED, f"GET /search/1/products?q={item.word}")
        await asyncio.sleep(POLL_INTERVAL_S)


@dataclass(frozen=True, slots=True)
class Timed:
    """One recall: its POST's round trip and what was seen after, both from the POST's send."""

    acked_ms: float
    reactions: list[tuple[str, float]]  # (event, ms after the POST was sent)


async def recall(
    api: Api, people: Shoppers, follower: Follower, item: Recallable, *, awaited: frozenset[str]
) -> Timed:
    """POST the recall, then wait until every `awaited` event was seen (or the timeout)."""
    settled = asyncio.Event()

    def seen(_: Reaction) -> None:
        if awaited <= {reaction.event for reaction in watch.reactions}:
            settled.set()

    watch = RecallWatch(item.sku, secrets.token_hex(16), 0.0, seen, [], {item.order_id}, 0.0)
    follower.current = watch
    watch.started = time.monotonic()
    await api.call(
        "POST",
        f"/product/1/products/{item.sku}/recall",
        token=people.merch,
        json_body={"reason": REASON},
        headers={"traceparent": f"00-{watch.trace_id}-{'1' * 16}-01"},
    )
    acked_ms = (time.monotonic() - watch.started) * 1000
    polling = asyncio.create_task(_poll(api, watch, item))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(settled.wait(), CASCADE_TIMEOUT_S)
    polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    follower.current = None
    return Timed(acked_ms, [(r.event, r.after_ms) for r in watch.reactions])


async def verified(api: Api, people: Shoppers, item: Recallable) -> bool:
    """Every reaction's outcome, read back through the public API (not timed)."""
    stock = await api.call("GET", f"/inventory/1/stock/{item.sku}", token=people.admin)
    order = await api.call("GET", f"/order/1/orders/{item.order_id}", token=people.buyer.token)
    cart = await api.call("GET", f"/cart/1/carts/{people.cart_id}", token=people.holder.token)
    messages = await api.call("GET", "/notification/1/messages?limit=200", token=people.buyer.token)
    return (
        (stock["available"], stock["quarantine"]) == (0, REASON)
        and order["status"] == "cancelled"
        and item.sku not in [line["sku"] for line in cart["lines"]]
        and item.sku in [notice["sku"] for notice in cart["notices"]]
        and any(
            m["kind"] == "product_recalled" and item.sku in m["subject"] for m in messages["items"]
        )
    )
