"""Publish an event the way a producer's outbox relay does, so a consumer can be tested alone:
a CloudEvent on `bazaar.<producer>.<event>`, with the event id as `Nats-Msg-Id`."""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from bazaar_chassis.envelope import Event, producer_subjects, stream_name


async def add_streams(js: JetStreamContext, *producers: str) -> None:
    """Make sure the producers' streams exist, as the operator's provisioning makes them (the
    `nats_server` fixture provisions the platform's producers already; this adds the others)."""
    for producer in producers:
        try:
            await js.stream_info(stream_name(producer))
        except NotFoundError:
            await js.add_stream(name=stream_name(producer), subjects=[producer_subjects(producer)])


async def publish(
    js: JetStreamContext, type: str, *, subject: str, data: dict[str, Any], sequence: int = 1
) -> Event:
    """Publish one event of `type` (`<producer>.<event>.v<N>`) and return it."""
    event = Event(type=type, subject=subject, sequence=sequence, data=data, source="/test")
    await js.publish(event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id})
    return event
