"""`bazaar recall`: record a product recall through the public API, then watch the services
react on their own, live, as their follow-up facts arrive on the bus (read-only).

The watch uses the operator's NATS user of the running `bazaar up` (its data dir holds the
password) with ephemeral ordered consumers on the recall flow's subjects only, started before the
recall is posted. A fact belongs to this recall if it carries the recall's trace id (the request
is sent with its own `traceparent`), names the SKU, or is about an order the recall cancelled.
The catalog publishes nothing, so its reaction is seen through its API: the product is delisted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from rich.console import Console
from rich.table import Table

from bazaar_chassis import Event
from bazaar_chassis.envelope import SUBJECT_PREFIX, stream_name
from bazaar_cli.choreography import RECALL
from bazaar_cli.nats_permissions import OPERATOR
from bazaar_cli.state import RunState
from bazaar_client import ApiProblem, BazaarClient

QUIET_SECONDS = 1.5  # the cascade is over when nothing more arrived for this long


class RecallFailed(Exception):
    """The recall could not be posted or watched; the message says why."""


@dataclass(frozen=True, slots=True)
class Reaction:
    after_ms: float
    service: str
    event: str
    detail: str


def describe(event: Event) -> str:
    data = event.data
    match event.name:
        case "product.recalled":
            return f"reason: {data.get('reason', '')}"
        case "inventory.stock_quarantined":
            released = len(data.get("released", []))
            return f"on hand {data.get('on_hand')} kept, {released} reservation(s) released"
        case "inventory.stock_changed":
            return f"available {data.get('available')}"
        case "cart.recalled_lines_removed":
            return f"removed from {len(data.get('carts', []))} cart(s)"
        case "order.cancelled":
            return f"order {data.get('order_id')}: {data.get('reason', '')}"
        case "notification.recall_notices_sent":
            return f"{len(data.get('recipients', []))} buyer(s) notified"
    return f"about {event.subject}"


@dataclass
class RecallWatch:
    sku: str
    trace_id: str
    started: float
    show: Callable[[Reaction], None]
    reactions: list[Reaction]
    orders: set[str]
    last: float

    def belongs(self, event: Event) -> bool:
        traced = (event.traceparent or "").split("-")[1:2] == [self.trace_id]
        return traced or event.subject in ({self.sku} | self.orders)

    def seen(self, service: str, event: str, detail: str) -> None:
        self.last = time.monotonic()
        reaction = Reaction((self.last - self.started) * 1000, service, event, detail)
        self.reactions.append(reaction)
        self.show(reaction)

    async def on_message(self, message: Msg) -> None:
        try:
            event = Event.from_json(message.data)
        except ValueError:
            return
        if not self.belongs(event):
            return
        if event.name == "order.cancelled":
            self.orders.add(str(event.data.get("order_id", event.subject)))
        self.seen(event.producer, event.name, describe(event))


def operator_password(data_dir: Path) -> str:
    """The operator's NATS password, from the data dir of the `bazaar up` that made it."""
    users = json.loads((data_dir / "secrets" / "nats-users.json").read_text())
    return str(users[OPERATOR])


async def _sign_in(session: aiohttp.ClientSession, gateway: str, user: str, password: str) -> str:
    try:
        return await BazaarClient(session, gateway).sign_in(user, password)
    except ApiProblem as refused:
        raise RecallFailed(
            f"cannot sign in as {user} ({refused.status}): {refused.detail}"
        ) from None


async def _post_recall(
    session: aiohttp.ClientSession, gateway: str, *, token: str, sku: str, reason: str, trace: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "traceparent": f"00-{trace}-{'1' * 16}-01"}
    url = f"{gateway}/product/1/products/{sku}/recall"
    async with session.post(url, json={"reason": reason}, headers=headers) as reply:
        if reply.status >= 400:
            body: dict[str, Any] = await reply.json(content_type=None) or {}
            raise RecallFailed(f"the recall was refused ({reply.status}): {body.get('detail')}")


async def _catalog_delisted(
    session: aiohttp.ClientSession, gateway: str, watch: RecallWatch
) -> None:
    while True:
        async with session.get(f"{gateway}/catalog/1/products/{watch.sku}") as reply:
            if reply.status == 404:
                watch.seen("catalog", "(read model)", "delisted: GET /catalog/1/products → 404")
                return
        await asyncio.sleep(0.05)


async def follow_recall_flow(
    bus: NatsClient, callback: Callable[[Msg], Awaitable[None]]
) -> list[JetStreamContext.PushSubscription]:
    """Ephemeral ordered consumers of the recall flow's subjects (new messages only), each
    message handed to `callback`; `let_go` removes them."""
    js = bus.jetstream()
    return list(
        await asyncio.gather(
            *(
                js.subscribe(
                    f"{SUBJECT_PREFIX}.{fact}",
                    stream=stream_name(fact.split(".", 1)[0]),
                    cb=callback,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                )
                for fact in (RECALL.trigger, *RECALL.facts)
            )
        )
    )


async def watch_recall(
    *,
    state: RunState,
    nats_password: str,
    sku: str,
    reason: str,
    credentials: tuple[str, str] | None,
    token: str | None,
    timeout: float,
    show: Callable[[Reaction], None],
) -> list[Reaction]:
    """Post the recall and collect the reactions until the cascade is quiet or `timeout`."""
    bus = await nats.connect(
        state.nats_url, user=OPERATOR, password=nats_password, max_reconnect_attempts=0
    )
    subscriptions: list[JetStreamContext.PushSubscription] = []
    watch = RecallWatch(sku, secrets.token_hex(16), time.monotonic(), show, [], set(), 0.0)
    try:
        subscriptions = await follow_recall_flow(bus, watch.on_message)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            if token is None:
                if credentials is None:
                    raise RecallFailed("give --token, or --username and --password")
                token = await _sign_in(session, state.gateway_url, *credentials)
            watch.started = time.monotonic()
            await _post_recall(
                session,
                state.gateway_url,
                token=token,
                sku=sku,
                reason=reason,
                trace=watch.trace_id,
            )
            catalog = asyncio.create_task(_catalog_delisted(session, state.gateway_url, watch))
            deadline = watch.started + timeout
            while time.monotonic() < deadline:
                quiet = time.monotonic() - watch.last > QUIET_SECONDS
                if catalog.done() and watch.reactions and quiet:
                    break
                await asyncio.sleep(0.05)
            catalog.cancel()
    finally:
        await let_go(bus, subscriptions)
    return watch.reactions


async def let_go(bus: NatsClient, subscriptions: list[JetStreamContext.PushSubscription]) -> None:
    """Remove the ephemeral consumers and close, never waiting long on a busy server."""
    with contextlib.suppress(Exception):
        for subscription in subscriptions:
            await asyncio.wait_for(subscription.unsubscribe(), 2)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(bus.close(), 5)


def show_recall(
    console: Console,
    *,
    state: RunState,
    data_dir: Path,
    sku: str,
    reason: str,
    credentials: tuple[str, str] | None,
    token: str | None,
    timeout: float,
) -> list[Reaction]:
    """Run the watch, printing each reaction as it arrives, then a table per service."""
    console.print(f"[bold]recalling {sku}[/]: {reason}")

    def show(reaction: Reaction) -> None:
        console.print(
            f"  +{reaction.after_ms:7.0f} ms  [cyan]{reaction.service:<13}[/] "
            f"{reaction.event:<34} {reaction.detail}",
            soft_wrap=True,
        )

    reactions = asyncio.run(
        watch_recall(
            state=state,
            nats_password=operator_password(data_dir),
            sku=sku,
            reason=reason,
            credentials=credentials,
            token=token,
            timeout=timeout,
            show=show,
        )
    )
    table = Table(title=f"recall of {sku}: who reacted")
    for column in ("service", "first reaction", "facts"):
        table.add_column(column)
    for service in dict.fromkeys(r.service for r in reactions):
        own = [r for r in reactions if r.service == service]
        facts = ", ".join(dict.fromkeys(r.event for r in own))
        table.add_row(service, f"{own[0].after_ms:.0f} ms", facts)
    console.print(table)
    if reactions:
        console.print(
            f"the cascade settled {max(r.after_ms for r in reactions):.0f} ms after the recall"
        )
    return reactions
