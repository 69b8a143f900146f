"""Dead letters: the events a consumer gave up on, kept in the `DLQ` stream with the error.

Retrying re-publishes the original event on its producer's subject (every consumer sees it
again; those that applied it already skip it by their inbox) and removes the dead letter; the
operator may correct its `data` on the way (same event id, so it is still applied only once);
discarding removes it and keeps the operator's reason in the console's database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from nats.js.errors import NotFoundError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bazaar_chassis.bus import Bus
from bazaar_chassis.envelope import Event, MalformedEvent
from bazaar_chassis.errors import InvalidInput, NotFound
from bazaar_console.tables import discarded
from bazaar_platform.provisioning import DLQ_STREAM

LIST_LIMIT = 500


def _describe(sequence: int, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    try:
        event: Event | None = Event.from_json(data)
    except MalformedEvent:
        event = None
    return {
        "sequence": sequence,
        "consumer": headers.get("Bazaar-Consumer", ""),
        "error": headers.get("Bazaar-Error", ""),
        "subject": headers.get("Bazaar-Original-Subject", ""),
        "stream": headers.get("Bazaar-Stream", ""),
        "deliveries": int(headers.get("Bazaar-Deliveries", "0") or 0),
        "event": None
        if event is None
        else {"id": event.id, "type": event.type, "subject": event.subject, "data": event.data},
    }


async def listing(bus: Bus) -> list[dict[str, Any]]:
    info = await bus.js.stream_info(DLQ_STREAM)
    first, last = info.state.first_seq, info.state.last_seq
    items: list[dict[str, Any]] = []
    if info.state.messages == 0:
        return items
    for sequence in range(max(first, last - LIST_LIMIT + 1), last + 1):
        try:
            message = await bus.js.get_msg(DLQ_STREAM, sequence)
        except NotFoundError:
            continue  # retried or discarded
        items.append(_describe(sequence, dict(message.headers or {}), message.data or b""))
    return items


async def _take(bus: Bus, sequence: int) -> tuple[dict[str, Any], bytes]:
    try:
        message = await bus.js.get_msg(DLQ_STREAM, sequence)
    except NotFoundError as exc:
        raise NotFound(f"no dead letter {sequence}") from exc
    return _describe(
        sequence, dict(message.headers or {}), message.data or b""
    ), message.data or b""


async def retry(
    bus: Bus, sequence: int, *, corrected: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Re-publish the event (its data corrected, if given) on its original subject, then drop
    the dead letter."""
    letter, data = await _take(bus, sequence)
    if letter["event"] is None or not letter["subject"]:
        raise InvalidInput(f"dead letter {sequence} is not a Bazaar event: discard it instead")
    if corrected is not None:
        data = replace(Event.from_json(data), data=corrected).to_json()
        letter["event"]["data"] = corrected
    await bus.js.publish(
        letter["subject"], data, headers={"Bazaar-Retry-Of": f"{DLQ_STREAM}:{sequence}"}
    )
    await bus.js.delete_msg(DLQ_STREAM, sequence)
    return letter


async def discard(
    bus: Bus, connection: AsyncConnection, sequence: int, *, reason: str, by: str
) -> dict[str, Any]:
    """Drop the dead letter for good, keeping who did it and why."""
    if not reason.strip():
        raise InvalidInput("discarding a dead letter needs a reason")
    letter, _ = await _take(bus, sequence)
    event = letter["event"] or {}
    await connection.execute(
        discarded.insert().values(
            sequence=sequence,
            event_id=event.get("id"),
            event_type=event.get("type"),
            consumer=letter["consumer"],
            error=letter["error"],
            reason=reason,
            by=by,
            at=datetime.now(UTC),
        )
    )
    await bus.js.delete_msg(DLQ_STREAM, sequence)
    return {**letter, "discarded": {"reason": reason, "by": by}}


async def discarded_letters(connection: AsyncConnection) -> list[dict[str, Any]]:
    rows = (await connection.execute(select(discarded).order_by(discarded.c.sequence))).all()
    return [
        {
            "sequence": r.sequence,
            "event_id": r.event_id,
            "event_type": r.event_type,
            "consumer": r.consumer,
            "error": r.error,
            "reason": r.reason,
            "by": r.by,
            "at": r.at.isoformat() if r.at else None,
        }
        for r in rows
    ]
