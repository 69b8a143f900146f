"""The provider's HTTP API (aiohttp), shaped like a hosted card processor's.

Every request needs `Authorization: Bearer <api key>`. Money-moving requests need an
`Idempotency-Key`: the same key gets the same reply and never a second charge. They are accepted
at once (202) and their result arrives later as a signed webhook (`outcomes.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bazaar_payment_provider import cards, outcomes
from bazaar_payment_provider.store import ProviderStore, Reply

DEMO_KEY = "bazaar-demo-insecure"
STORE = web.AppKey("store", ProviderStore)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAZAAR_", extra="ignore")

    data_dir: Path = Path(".bazaar")
    host: str = "127.0.0.1"
    port: int = 0
    payment_provider_api_key: str = DEMO_KEY
    payment_provider_webhook_secret: str = DEMO_KEY
    payment_provider_webhook_url: str = Field(
        default="http://127.0.0.1:8000/payment/1/webhooks/test-provider",
        description="where results are delivered: the gateway's route to the payment service",
    )
    payment_provider_poll_seconds: float = 0.05


SETTINGS = web.AppKey("settings", ProviderSettings)
DUE_NOW = web.AppKey("due_now", asyncio.Event)  # set when work is scheduled without a delay


def problem(status: int, detail: str) -> web.Response:
    return web.json_response(
        {"type": "about:blank", "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in ("/healthz", "/readyz"):
        return await handler(request)
    expected = f"Bearer {request.app[SETTINGS].payment_provider_api_key}"
    if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
        return problem(401, "a valid API key is required: Authorization: Bearer <key>")
    return await handler(request)


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def idempotent(action: Callable[[web.Request, dict[str, Any]], Reply]) -> Handler:
    """Replays the stored reply for a known key; remembers every accepted (2xx) reply."""

    async def handle(request: web.Request) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return problem(400, "an Idempotency-Key header is required")
        store = request.app[STORE]
        known = store.reply_for(key)
        if known is not None:
            path, reply = known
            if path != request.path:
                return problem(409, f"idempotency key {key!r} was used for {path}")
            return web.json_response(
                reply.body, status=reply.status, headers={"Idempotent-Replayed": "true"}
            )
        body = await body_of(request)
        reply = action(request, body)
        if 200 <= reply.status < 300:
            store.remember_reply(key, request.path, reply)
        return web.json_response(reply.body, status=reply.status)

    return handle


def error(status: int, detail: str) -> Reply:
    return Reply(status, {"status": status, "detail": detail})


async def create_method(request: web.Request) -> web.StreamResponse:
    number = str((await body_of(request)).get("card_number", "")).replace(" ", "")
    if not cards.luhn_valid(number):
        return problem(422, "card_number is not a valid card number (12-19 digits, Luhn)")
    method = request.app[STORE].add_method(number, cards.brand(number))
    return web.json_response(method, status=201)


def create_intent(request: web.Request, body: dict[str, Any]) -> Reply:
    store = request.app[STORE]
    amount, currency = body.get("amount"), body.get("currency")
    if not isinstance(amount, int) or amount <= 0 or not isinstance(currency, str):
        return error(422, "amount (a positive integer in minor units) and currency are required")
    card = store.card_number(str(body.get("payment_method", "")))
    if card is None:
        return error(422, f"no payment method {body.get('payment_method')!r}")
    key = request.headers["Idempotency-Key"]
    if cards.behaviour(card) is cards.Behaviour.TRANSIENT and store.first_attempt(key):
        return error(503, "temporary processing error; retry with the same idempotency key")
    metadata = {str(k): str(v) for k, v in dict(body.get("metadata") or {}).items()}
    intent = store.add_intent(
        amount=amount,
        currency=currency,
        method=str(body["payment_method"]),
        capture=bool(body.get("capture", True)),
        metadata=metadata,
    )
    slow = cards.behaviour(card) is cards.Behaviour.SLOW
    store.schedule("confirm", intent["id"], delay=cards.SLOW_SECONDS if slow else 0.0)
    return Reply(202, intent)


def intent_action(action: str, *, allowed_from: str) -> Callable[[web.Request, Any], Reply]:
    def act(request: web.Request, _body: Any) -> Reply:
        store = request.app[STORE]
        intent = store.intent(request.match_info["id"])
        if intent is None:
            return error(404, f"no payment intent {request.match_info['id']!r}")
        if intent["status"] != allowed_from:
            return error(409, f"cannot {action} a payment intent that is {intent['status']}")
        store.schedule(action, intent["id"])
        return Reply(202, intent)

    return act


def create_refund(request: web.Request, body: dict[str, Any]) -> Reply:
    store = request.app[STORE]
    intent = store.intent(str(body.get("payment_intent", "")))
    if intent is None:
        return error(404, f"no payment intent {body.get('payment_intent')!r}")
    if intent["status"] != "succeeded":
        return error(409, f"only a captured payment can be refunded; it is {intent['status']}")
    amount = body.get("amount", intent["amount"])
    left = intent["amount"] - store.refunded_amount(intent["id"])
    if not isinstance(amount, int) or not 0 < amount <= left:
        return error(422, f"amount must be a positive integer of at most {left}")
    refund = store.add_refund(intent["id"], amount)
    store.schedule("refund", refund["id"])
    return Reply(202, refund)


async def get_intent(request: web.Request) -> web.StreamResponse:
    intent = request.app[STORE].intent(request.match_info["id"])
    if intent is None:
        return problem(404, f"no payment intent {request.match_info['id']!r}")
    return web.json_response(intent)


async def list_intents(request: web.Request) -> web.StreamResponse:
    """The intents of one order (`?order_id=`, matched on metadata): how tests count charges."""
    order_id = request.query.get("order_id")
    if not order_id:
        return problem(422, "give ?order_id=")
    return web.json_response({"data": request.app[STORE].intents_of_order(order_id)})


async def ready(_request: web.Request) -> web.StreamResponse:
    return web.json_response({"status": "ready", "service": "payment-provider"})


def build_app(settings: ProviderSettings | None = None) -> web.Application:
    settings = settings or ProviderSettings()
    app = web.Application(middlewares=[authenticate])
    app[SETTINGS] = settings
    app[DUE_NOW] = due_now = asyncio.Event()
    app[STORE] = ProviderStore(settings.data_dir / "payment-provider.db", on_due_now=due_now.set)
    app.router.add_get("/healthz", ready)
    app.router.add_get("/readyz", ready)
    app.router.add_post("/v1/payment_methods", create_method)
    app.router.add_post("/v1/payment_intents", idempotent(create_intent))
    app.router.add_get("/v1/payment_intents", list_intents)
    app.router.add_get("/v1/payment_intents/{id}", get_intent)
    capture = intent_action("capture", allowed_from="requires_capture")
    app.router.add_post("/v1/payment_intents/{id}/capture", idempotent(capture))
    cancel = intent_action("cancel", allowed_from="requires_capture")
    app.router.add_post("/v1/payment_intents/{id}/cancel", idempotent(cancel))
    app.router.add_post("/v1/refunds", idempotent(create_refund))
    app.cleanup_ctx.append(_background)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    task = asyncio.create_task(
        outcomes.work_forever(
            app[STORE],
            url=settings.payment_provider_webhook_url,
            secret=settings.payment_provider_webhook_secret,
            due_now=app[DUE_NOW],
            poll_seconds=settings.payment_provider_poll_seconds,
        )
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app[STORE].close()


@contextlib.asynccontextmanager
async def running(settings: ProviderSettings) -> AsyncIterator[str]:
    """Serve the provider on `settings.host:port` inside this process (tests); yields its URL.

    Port 0 lets the kernel pick a free port, so parallel tests never race for one.
    """
    runner = web.AppRunner(build_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    try:
        yield f"http://{settings.host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
