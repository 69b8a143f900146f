"""A consumer of a producer that has not created its stream yet (not started, not deployed) is
ready: nothing can have been published there. When the stream appears, the durable binds and
every event is handled, from the first."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import nats

from bazaar_chassis import Event, ServiceDefinition, ServiceSettings, UnitOfWork, create_app
from bazaar_chassis.testing import add_streams, eventually, publish, running_app
from bazaar_platform.nats_server import NatsServer

seen: list[str] = []


async def on_happened(event: Event, uow: UnitOfWork) -> None:
    seen.append(event.subject)


LISTENER = ServiceDefinition(
    name="listener",
    version="1.0.0",
    description="listens to a producer that is not there yet",
    apis={},
    handlers={"ghost.happened": on_happened},
)


async def test_a_missing_producer_stream_does_not_hold_readiness_and_is_bound_when_it_appears(
    service_settings: ServiceSettings, nats_server: NatsServer
) -> None:
    async with running_app(create_app(LISTENER, service_settings), caller=None) as client:

        async def awaiting() -> Sequence[str]:
            body = (await client.get("/readyz")).json()
            assert body["status"] == "ready", body
            return list(body["checks"]["awaiting_streams"])

        assert await eventually(awaiting, message="ready, awaiting the ghost stream") == ["ghost"]

        producer = await nats.connect(nats_server.url)
        js = producer.jetstream()
        await add_streams(js, "ghost")
        await publish(js, "ghost.happened.v1", subject="first", data={})
        await eventually(lambda: _bound(client), message="bound once the stream exists")
        await producer.close()

        async def handled() -> bool:
            return seen == ["first"]

        await eventually(handled, message="the first event handled")


async def _bound(client: httpx.AsyncClient) -> bool:
    body = (await client.get("/readyz")).json()
    return bool(body["checks"]["consumers"] == ["ghost"] and not body["checks"]["awaiting_streams"])
