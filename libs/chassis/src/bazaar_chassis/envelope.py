"""Events on the bus: CloudEvents 1.0 in structured JSON mode, with Bazaar's conventions.

- `type` is `<producer>.<event>.v<N>` (a past-tense fact: `pricing.price_changed.v1`);
  the NATS subject is `bazaar.<producer>.<event>`, one stream per producer.
- `subject` is the id of the entity the fact is about; `sequence` is that entity's version, so a
  consumer can drop a fact older than what it already holds (stale or out-of-order delivery).
- `traceparent` carries the W3C trace context of the request that caused the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from bazaar_chassis.rules import new_id

SUBJECT_PREFIX = "bazaar"
_TYPE_PATTERN = re.compile(
    r"^(?P<producer>[a-z][a-z0-9_]*)\.(?P<name>[a-z][a-z0-9_]*)\.v(?P<major>\d+)$"
)
_FORMAT = JSONFormat()


class MalformedEvent(ValueError):
    """A message on the bus is not a Bazaar CloudEvent; it can never be processed."""


def stream_name(producer: str) -> str:
    """The JetStream stream that holds every event `producer` publishes."""
    return producer.upper()


def producer_subjects(producer: str) -> str:
    return f"{SUBJECT_PREFIX}.{producer}.>"


def event_name_of(nats_subject: str) -> str:
    """`<producer>.<event>` from the subject an event travels on (for metrics' labels)."""
    return nats_subject.removeprefix(SUBJECT_PREFIX + ".")


@dataclass(frozen=True, slots=True)
class Event:
    """One fact, as produced and as consumed."""

    type: str
    subject: str
    data: dict[str, Any]
    sequence: int
    source: str = ""
    id: str = field(default_factory=new_id)  # sortable: handy in outbox and inbox
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None

    def __post_init__(self) -> None:
        if not _TYPE_PATTERN.match(self.type):
            raise MalformedEvent(f"event type {self.type!r} is not <producer>.<event>.v<N>")

    @property
    def producer(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def name(self) -> str:
        """`<producer>.<event>` without the schema major: what consumers subscribe to."""
        return self.type.rsplit(".", 1)[0]

    @property
    def nats_subject(self) -> str:
        return f"{SUBJECT_PREFIX}.{self.name}"

    def to_json(self) -> bytes:
        attributes: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": "application/json",
            "sequence": self.sequence,
        }
        if self.traceparent:
            attributes["traceparent"] = self.traceparent
        return _FORMAT.write(CloudEvent(attributes, self.data))

    @classmethod
    def from_json(cls, payload: bytes) -> Event:
        try:
            cloud_event = _FORMAT.read(None, payload)
        except (BaseCloudEventException, ValueError) as exc:
            raise MalformedEvent(f"not a CloudEvent: {exc}") from exc
        attributes = cloud_event.get_attributes()
        data = cloud_event.get_data()
        if not isinstance(data, dict):
            raise MalformedEvent("event data must be a JSON object")
        try:
            sequence = int(attributes.get("sequence", 0))
        except (TypeError, ValueError) as exc:
            raise MalformedEvent("the sequence extension must be an integer") from exc
        return cls(
            type=str(attributes["type"]),
            subject=str(attributes.get("subject") or ""),
            data=data,
            sequence=sequence,
            source=str(attributes["source"]),
            id=str(attributes["id"]),
            time=attributes.get("time") or datetime.now(UTC),
            traceparent=attributes.get("traceparent"),
        )
