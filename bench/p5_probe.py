"""P5's probe of the platform: bench SKUs with stock, signed-in shoppers, and closed-loop
clients that each create a cart, add one item, place the order and wait until it is confirmed.

Each client has its own shopper (a signed-in user has one active cart at a time), registered
through identity by the admin. An order is timed from just before its POST to the return of the
first GET that shows it confirmed (an upper bound). With `Settlements`, a client waits for its
order's `order.confirmed` (or `order.cancelled`) on the bus before that GET, as a storefront told
by a push would; without, it polls every 10 ms, and those polls cost the order service and the
gateway more than the orders did (bench/notes/P5.md, eleventh pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from bench.p3_probe import stocked_product
from bench.platform import Api, PlatformFailed

ADMIN = "admin@bazaar.test"
GOOD_CARD = "4242424242424242"
SHOPPER_PASSWORD = "bench-shopper-password"  # noqa: S105 - users of a throw-away platform
POLL_INTERVAL_S = 0.01
SETTLE_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 60.0
CASE_CAP_S = 240.0  # no case runs longer than this, whatever --orders says


def sku(number: int) -> str:
    return f"BENCH-P5-{number:03d}"


async def create_skus(api: Api, token: str, *, count: int, stock: int) -> None:
    """A product, a price and `stock` units for each of `count` bench SKUs."""
    for number in range(1, count + 1):
        name = f"Checkout bench item {number}"
        await stocked_product(api, token, code=sku(number), name=name, stock=stock)


async def shoppers(api: Api, admin_token: str, count: int) -> list[str]:
    """`count` fresh customers registered by the admin, each signed in: their tokens."""
    tokens = []
    run = uuid.uuid4().hex[:8]
    for number in range(1, count + 1):
        email = f"bench-p5-{run}-{number}@bazaar.test"
        await api.call(
            "POST",
            "/identity/1/users",
            token=admin_token,
            json_body={
                "email": email,
                "password": SHOPPER_PASSWORD,
                "name": f"Bench shopper {number}",
                "organization": "public",
                "roles": ["customer"],
            },
        )
        tokens.append(await api.sign_in(email, password=SHOPPER_PASSWORD))
    return tokens


@dataclass
class CheckoutSamples:
    """One case's orders: POST → confirmed and the POST's own round trip, in ms."""

    confirmed_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    not_confirmed: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.confirmed_ms) / self.seconds if self.seconds else float("nan")


class Settlements:
    """Orders confirmed or cancelled, as the order service announces them on the bus (seen as
    the operator, passively, like P3's event trail): what each client waits for."""

    SUBJECTS = ("bazaar.order.confirmed", "bazaar.order.cancelled")

    def __init__(self, client: Client) -> None:
        self._client = client
        self._settled: dict[str, asyncio.Event] = {}  # set once the order's event was seen
        self._subscriptions: list[Any] = []

    async def start(self) -> None:
        js = self._client.jetstream()
        for subject in self.SUBJECTS:
            self._subscriptions.append(
                await js.subscribe(
                    subject, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW, cb=self._on
                )
            )

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _on(self, message: Msg) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            order_id = str(json.loads(message.data)["subject"])
            self._settled.setdefault(order_id, asyncio.Event()).set()

    async def wait(self, order_id: str, *, seconds: float) -> None:
        """Until the order is settled, or `seconds` passed (the caller's GET then tells)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._settled.setdefault(order_id, asyncio.Event()).wait()
        self._settled.pop(order_id, None)


class Shopper:
    """One client: its token and the last cart it ordered from (a new one must differ)."""

    def __init__(self, api: Api, token: str, settlements: Settlements | None = None) -> None:
        self.api = api
        self.token = token
        self.last_cart = ""
        self.settlements = settlements  # None: poll the order every 10 ms instead

    async def fresh_cart(self) -> str:
        """A new active cart; the previous one turns `ordered` as the order is placed."""
        async with asyncio.timeout(SETUP_TIMEOUT_S):
            while True:
                cart = await self.api.call("POST", "/cart/1/carts", token=self.token)
                if str(cart["id"]) != self.last_cart and not cart.get("lines"):
                    self.last_cart = str(cart["id"])
                    return self.last_cart
                await asyncio.sleep(POLL_INTERVAL_S)

    async def add(self, cart_id: str, code: str) -> None:
        """Add one unit; retried while the cart has not yet learned of a new SKU (setup)."""
        async with asyncio.timeout(SETUP_TIMEOUT_S):
            while True:
                try:
                    await self.api.call(
                        "POST",
                        f"/cart/1/carts/{cart_id}/items",
                        token=self.token,
                        json_body={"sku": code, "quantity": 1},
                        ok=(201,),
                    )
                    return
                except PlatformFailed:
                    await asyncio.sleep(0.2)

    async def buy(self, code: str, samples: CheckoutSamples) -> str | None:
        """One order of one unit of `code`: its id once confirmed, None if it never was."""
        cart_id = await self.fresh_cart()
        await self.add(cart_id, code)
        sent = time.perf_counter()
        order = await self.api.call(
            "POST",
            "/order/1/orders",
            token=self.token,
            json_body={"cart_id": cart_id, "payment": {"card_number": GOOD_CARD}},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            ok=(201,),
        )
        samples.post_ms.append((time.perf_counter() - sent) * 1000)
        deadline = sent + SETTLE_TIMEOUT_S
        if self.settlements is not None:
            await self.settlements.wait(str(order["id"]), seconds=deadline - time.perf_counter())
        while time.perf_counter() < deadline:
            seen = await self.api.call("GET", f"/order/1/orders/{order['id']}", token=self.token)
            if seen["status"] == "confirmed":
                samples.confirmed_ms.append((time.perf_counter() - sent) * 1000)
                return str(order["id"])
            if seen["status"] == "cancelled":
                break
            await asyncio.sleep(POLL_INTERVAL_S)
        samples.not_confirmed += 1
        return None


async def checkout(clients: list[Shopper], *, orders: int, skus: Iterator[str]) -> CheckoutSamples:
    """`orders` orders by the clients in a closed loop; `skus` gives each client its SKU."""
    samples = CheckoutSamples()
    per_client = max(1, -(-orders // len(clients)))
    started = time.perf_counter()
    deadline = started + CASE_CAP_S

    async def client(shopper: Shopper, code: str) -> None:
        for _ in range(per_client):
            if time.perf_counter() > deadline:
                return
            await shopper.buy(code, samples)

    await asyncio.gather(*(client(shopper, next(skus)) for shopper in clients))
    samples.seconds = time.perf_counter() - started
    return samples


async def price_writes(
    api: Api, token: str, *, writers: int, writes: int, codes: list[str]
) -> tuple[float, list[float]]:
    """`writes` price PUTs by `writers` closed-loop writers: (writes/s, PUT round trips in ms)."""
    put_ms: list[float] = []
    per_writer = max(1, -(-writes // writers))
    amount = int(time.time()) % 100_000 * 10 + 5000

    async def writer(code: str) -> None:
        nonlocal amount
        for _ in range(per_writer):
            amount += 1
            put_ms.append(await api.put_price(code, amount, token=token))

    started = time.perf_counter()
    await asyncio.gather(*(writer(codes[n % len(codes)]) for n in range(writers)))
    return len(put_ms) / (time.perf_counter() - started), put_ms
