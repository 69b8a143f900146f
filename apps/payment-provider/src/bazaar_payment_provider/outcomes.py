"""What the provider does after it has accepted a request: decide the result, then announce it.

Results are due work in the store (a slow card's is due 3 s later), and every result becomes a
webhook, delivered to the configured URL and retried with back-off until it gets a 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp

from bazaar_payment_provider.cards import Behaviour, behaviour
from bazaar_payment_provider.signing import SIGNATURE_HEADER, signature
from bazaar_payment_provider.store import ProviderStore

MAX_RETRY_SECONDS = 30.0
DECLINE = {"code": "card_declined", "message": "your card was declined"}


def confirm(store: ProviderStore, ref: str) -> None:
    intent = store.intent(ref)
    if intent is None or intent["status"] != "processing":
        return
    card = store.card_number(intent["payment_method"]) or ""
    if behaviour(card) is Behaviour.DECLINE:
        store.set_status(ref, "declined", DECLINE)
        store.enqueue_webhook("payment_intent.declined", store.intent(ref) or intent)
        return
    if intent["capture"]:
        store.set_status(ref, "succeeded")
        store.enqueue_webhook("payment_intent.captured", store.intent(ref) or intent)
        return
    store.set_status(ref, "requires_capture")
    store.enqueue_webhook("payment_intent.authorized", store.intent(ref) or intent)


def capture(store: ProviderStore, ref: str) -> None:
    store.set_status(ref, "succeeded")
    store.enqueue_webhook("payment_intent.captured", store.intent(ref) or {})


def cancel(store: ProviderStore, ref: str) -> None:
    store.set_status(ref, "canceled")
    store.enqueue_webhook("payment_intent.canceled", store.intent(ref) or {})


def refund(store: ProviderStore, ref: str) -> None:
    store.set_refund_status(ref, "succeeded")
    store.enqueue_webhook("refund.succeeded", store.refund(ref) or {})


ACTIONS = {"confirm": confirm, "capture": capture, "cancel": cancel, "refund": refund}


def run_due_jobs(store: ProviderStore) -> int:
    jobs = store.take_due_jobs()
    for action, target in jobs:
        ACTIONS[action](store, target)
    return len(jobs)


async def deliver_due_webhooks(
    store: ProviderStore, session: aiohttp.ClientSession, *, url: str, secret: str
) -> int:
    due = store.due_webhooks()

    async def deliver(event_id: str, payload: str, attempts: int) -> None:
        body = payload.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret=secret, timestamp=int(time.time()), body=body),
        }
        try:
            async with session.post(url, data=body, headers=headers) as response:
                delivered = 200 <= response.status < 300
        except (aiohttp.ClientError, TimeoutError):
            delivered = False
        if delivered:
            store.webhook_delivered(event_id)
        else:
            store.webhook_failed(event_id, retry_in=min(MAX_RETRY_SECONDS, 0.25 * 2**attempts))

    await asyncio.gather(*(deliver(*row) for row in due))
    return len(due)


async def work_forever(
    store: ProviderStore,
    *,
    url: str,
    secret: str,
    due_now: asyncio.Event,
    poll_seconds: float = 0.05,
) -> None:
    """Do what is due, then wait for `due_now` (work scheduled without a delay) or the next poll
    (a slow card's result, a webhook's retry)."""
    timeout = aiohttp.ClientTimeout(total=5.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            due_now.clear()
            run_due_jobs(store)
            await deliver_due_webhooks(store, session, url=url, secret=secret)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_seconds):
                    await due_now.wait()
