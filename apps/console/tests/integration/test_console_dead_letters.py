"""Dead letters through the console: listed with the consumer's error, retried on the producer's
subject (corrected, if the operator says so), or discarded with a reason that is kept."""

from __future__ import annotations

import nats
import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.envelope import Event
from bazaar_chassis.testing import serving
from bazaar_chassis.testing.apps import served_client
from bazaar_chassis.testing.identity import ADMIN
from bazaar_console.service import build_app
from bazaar_platform.nats_server import NatsServer


@pytest.fixture
def bus_producers() -> tuple[str, ...]:
    return ("product",)


async def _dead_letter(server: NatsServer, event: Event, error: str) -> None:
    """What the chassis consumer does after the last failed delivery."""
    connection = await nats.connect(server.url)
    await connection.jetstream().publish(
        "bazaar.dlq.catalog",
        event.to_json(),
        headers={
            "Bazaar-Error": error,
            "Bazaar-Original-Subject": event.nats_subject,
            "Bazaar-Stream": "PRODUCT",
            "Bazaar-Consumer": "catalog",
            "Bazaar-Deliveries": "5",
        },
    )
    await connection.close()


async def test_dead_letters_are_listed_retried_corrected_or_discarded_with_a_reason(
    service_settings: ServiceSettings, nats_server: NatsServer
) -> None:
    poison = Event(
        type="product.created.v1", subject="P-1", sequence=1, data={"sku": "P-1"}, source="/p"
    )
    other = Event(
        type="product.created.v1", subject="P-2", sequence=1, data={"sku": "P-2"}, source="/p"
    )
    await _dead_letter(nats_server, poison, "ValidationError: name: field required")
    await _dead_letter(nats_server, other, "ValidationError: name: field required")
    async with (
        serving(build_app, service_settings) as console,
        served_client(console.url, ADMIN) as client,
    ):
        listed = (await client.get("/console/1/dead-letters")).json()["items"]
        assert [(d["consumer"], d["event"]["id"]) for d in listed] == [
            ("catalog", poison.id),
            ("catalog", other.id),
        ]
        assert listed[0]["error"].startswith("ValidationError")
        first, second = (d["sequence"] for d in listed)

        corrected = {"sku": "P-1", "name": "Fixed", "status": "active"}
        watcher = await nats.connect(nats_server.url)
        subscription = await watcher.subscribe("bazaar.product.created")
        retried = await client.post(
            f"/console/1/dead-letters/{first}/retry", json={"data": corrected}
        )
        assert retried.status_code == 200, retried.text
        republished = Event.from_json((await subscription.next_msg(timeout=10)).data)
        await watcher.close()
        assert republished.data == corrected
        assert republished.id == poison.id  # the consumer's inbox still applies it once

        no_reason = await client.post(
            f"/console/1/dead-letters/{second}/discard", json={"reason": " "}
        )
        assert no_reason.status_code == 422
        discarded = await client.post(
            f"/console/1/dead-letters/{second}/discard", json={"reason": "test data"}
        )
        assert discarded.status_code == 200, discarded.text
        after = (await client.get("/console/1/dead-letters")).json()
        gone = await client.post(f"/console/1/dead-letters/{first}/retry")
    assert after["items"] == []
    assert [(d["event_id"], d["reason"], d["by"]) for d in after["discarded"]] == [
        (other.id, "test data", "test-admin")
    ]
    assert gone.status_code == 404
