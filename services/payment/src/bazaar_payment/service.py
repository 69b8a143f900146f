"""Composition root of the payment service: the provider adapter, its worker, the API, consumers."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI

from bazaar_chassis import ServiceDefinition, ServiceSettings, create_app
from bazaar_payment import events
from bazaar_payment.api import v1
from bazaar_payment.consumers import HANDLERS
from bazaar_payment.provider import PaymentProvider
from bazaar_payment.provider_http import HttpTestProvider
from bazaar_payment.settings import PaymentSettings
from bazaar_payment.store import PaymentStore
from bazaar_payment.worker import ProviderWorker


def definition(worker: ProviderWorker) -> ServiceDefinition:
    return ServiceDefinition(
        name="payment",
        version=version("bazaar-payment"),
        description=(
            "Payments behind a provider port (M12): card tokens, a ledger of authorize, capture, "
            "void and refund, driven by checkout facts and the provider's signed webhooks."
        ),
        apis={1: v1.router},
        migrations=Path(__file__).parent / "migrations" / "versions",
        publishes=sorted(events.SCHEMAS),
        handlers=HANDLERS,
        background=[worker.job()],
        store=PaymentStore,
    )


def build_app(
    settings: ServiceSettings | None = None,
    payment: PaymentSettings | None = None,
    provider: PaymentProvider | None = None,
) -> FastAPI:
    settings = settings or ServiceSettings()
    payment = (payment or PaymentSettings()).check(mode=settings.mode)
    provider = provider or HttpTestProvider(
        base_url=payment.provider_url,
        api_key=payment.provider_api_key,
        webhook_secret=payment.provider_webhook_secret,
        tolerance_seconds=payment.webhook_tolerance_seconds,
    )
    worker = ProviderWorker(provider, poll_seconds=payment.worker_poll_seconds)
    app = create_app(definition(worker), settings)
    app.state.payment_provider = provider
    app.state.payment_worker_wake = worker.wake
    return app
