"""CloudEvents envelope: round trip, naming rules, and refusing what is not a Bazaar event."""

from __future__ import annotations

import json

import pytest

from bazaar_chassis.envelope import Event, MalformedEvent, stream_name
from bazaar_chassis.rules import new_id


def an_event(**overrides: object) -> Event:
    fields: dict[str, object] = {
        "type": "pricing.price_changed.v1",
        "subject": "SKU-1",
        "sequence": 7,
        "data": {"sku": "SKU-1"},
        "source": "/pricing/1.0.0",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    return Event(**{**fields, **overrides})  # type: ignore[arg-type]


def test_an_event_survives_the_round_trip_through_cloudevents_json() -> None:
    event = an_event()
    assert Event.from_json(event.to_json()) == event


def test_the_wire_format_is_cloudevents_1_0_with_bazaar_extensions() -> None:
    wire = json.loads(an_event().to_json())
    assert wire["specversion"] == "1.0"
    assert wire["type"] == "pricing.price_changed.v1"
    assert wire["sequence"] == 7
    assert wire["traceparent"].startswith("00-")
    assert wire["time"].endswith("Z")


def test_names_subjects_and_streams_follow_the_producer() -> None:
    event = an_event()
    assert (event.producer, event.name, event.nats_subject) == (
        "pricing",
        "pricing.price_changed",
        "bazaar.pricing.price_changed",
    )
    assert stream_name("pricing") == "PRICING"


def test_event_ids_are_unique_and_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert ids == sorted(ids)


@pytest.mark.parametrize("event_type", ["pricing.price_changed", "Pricing.x.v1", "a.b.vx", "x"])
def test_a_type_that_is_not_producer_event_major_is_refused(event_type: str) -> None:
    with pytest.raises(MalformedEvent, match="producer"):
        an_event(type=event_type)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{}",
        b'{"specversion": "1.0", "id": "1", "source": "/x"}',
        b'{"specversion": "1.0", "id": "1", "source": "/x", "type": "a.b.v1", "data": [1]}',
    ],
)
def test_a_message_that_is_not_a_bazaar_cloudevent_is_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedEvent):
        Event.from_json(payload)
