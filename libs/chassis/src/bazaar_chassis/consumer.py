"""Durable JetStream consumers: one per (consuming service, producer stream), shared by every
instance and version of the service, so each event is handled by exactly one of them.

Events are pulled continuously (`pull.ContinuousPull`) and whatever has arrived is applied as one
batch in one transaction: one statement claims the batch's inbox rows (a redelivered event is
skipped), handlers run in stream order (a `Batched` handler takes a run of its type at once), and
messages are acked only after the commit. A batch that fails for a passing reason (a deadlock
with another instance, the database unreachable: `database.is_passing`) is tried again as it is,
for as long as it takes, without spending its events' deliveries. If it fails otherwise, it is
applied again one event per savepoint (a pass that waits out passing failures the same way), so
only the failing events are retried: `nak`ed with a growing delay, and after `max_deliver`
attempts (or at once, if it is not even a CloudEvent) copied to the dead-letter stream `DLQ`
(`bazaar.dlq.<service>`) with the error attached, and terminated. JetStream itself never gives
up on an event: one that comes again past `max_deliver` unsettled (its process stopped while
applying it, or dead-lettering failed) is dead-lettered then, before it is applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from typing import TypeVar

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, StatusCode

from bazaar_chassis import inbox
from bazaar_chassis.bus import Bus
from bazaar_chassis.database import is_passing
from bazaar_chassis.envelope import (
    SUBJECT_PREFIX,
    Event,
    MalformedEvent,
    event_name_of,
    stream_name,
)
from bazaar_chassis.jobs import raise_if_cancelled, stop_task
from bazaar_chassis.pull import ContinuousPull
from bazaar_chassis.request_spans import RequestSpans
from bazaar_chassis.tracing import extract_context
from bazaar_chassis.unit_of_work import UnitOfWork, UnitOfWorkFactory

EventHandler = Callable[[Event, UnitOfWork], Awaitable[None]]
EventsHandler = Callable[[Sequence[Event], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Batched:
    """Marks a handler that takes a run of consecutive events of its type at once.

    One `executemany` for a run costs about what one statement costs (a statement is a round
    trip to the database thread), so a consumer that can apply facts in bulk should.
    """

    handle: EventsHandler


Handler = EventHandler | Batched
OutcomeObserver = Callable[[str, str], None]
"""Told each event's outcome (processed, duplicate, retried, failed or dead_lettered) and its
name (`<producer>.<event>`), for metrics. `retried`: its batch met a passing database failure."""

FETCH_BATCH = 100
RETRY_SECONDS = 1.0
ACK_WAIT_SECONDS = 30.0
PASSING_RETRY_SECONDS = (0.02, 2.0)  # the first pause after a passing failure, the longest
UNSETTLED = "not settled in {} deliveries (failed, stopped while applying, or not dead-lettered)"


_log = structlog.get_logger("bazaar.consumer")
_Result = TypeVar("_Result")
_Events = list[tuple[Msg, Event]]
_Pulled = Callable[[], list[Msg]]
_OneByOne = tuple[list[tuple[str, str]], _Events, list[tuple[Msg, str]]]  # outcomes, done, failed


class _EventFailed(Exception):
    """One event's handler failed, for a reason that is not passing."""


class EventConsumer:
    """Binds the service's durables and applies events to its handlers."""

    def __init__(
        self,
        *,
        service: str,
        bus: Bus,
        units: UnitOfWorkFactory,
        handlers: Mapping[str, Handler],
        spans: RequestSpans,
        max_deliver: int = 5,
        observe: OutcomeObserver = lambda outcome, name: None,
    ) -> None:
        self._service = service
        self._spans = spans
        self._bus = bus
        self._units = units
        self._handlers = dict(handlers)
        self._max_deliver = max_deliver
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopped = False
        self._observe = observe
        self.bound: set[str] = set()
        # Producers that have not created their stream yet (not started, or not deployed): there
        # is nothing to miss until they do, and the durable binds within a second when they do.
        self.awaiting: set[str] = set()

    @property
    def producers(self) -> list[str]:
        return sorted({name.split(".", 1)[0] for name in self._handlers})

    async def on_connect(self, bus: Bus) -> None:
        """Start one consuming task per producer stream (once; they survive reconnects).

        The streams and `DLQ` are the operator's: a task binds its durable (the only consumer
        this service may create on that stream) once the stream is there. After `stop()` it
        starts nothing: the bus runs this until the bus itself closes, later in the shutdown."""
        if self._stopped:
            return
        for producer in self.producers:
            task = self._tasks.get(producer)
            if task is None or task.done():
                self._tasks[producer] = asyncio.create_task(
                    self._consume_forever(producer), name=f"consume-{producer}"
                )

    async def stop(self) -> None:
        self._stopped = True
        await asyncio.gather(*(stop_task(task) for task in self._tasks.values()))

    def _config(self, producer: str) -> ConsumerConfig:
        subjects = sorted(
            f"{SUBJECT_PREFIX}.{name}" for name in self._handlers if name.startswith(producer + ".")
        )
        return ConsumerConfig(
            durable_name=self._service,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,  # no limit: past its limit an event is dead-lettered here (`_apply`),
            # where JetStream's would silently skip it (after a crash, or a failed dead-lettering)
            filter_subjects=subjects,
            max_ack_pending=1000,
        )

    async def _consume_forever(self, producer: str) -> None:
        stream = stream_name(producer)
        while True:
            pull: ContinuousPull | None = None
            try:
                try:
                    await self._bus.js.add_consumer(stream, self._config(producer))
                except NotFoundError:
                    self.awaiting.add(producer)
                    raise
                self.awaiting.discard(producer)
                pull = ContinuousPull(
                    self._bus.client, stream=stream, durable=self._service, batch=FETCH_BATCH
                )
                await pull.start()
                self.bound.add(producer)
                _log.info("consumer bound", stream=stream, durable=self._service)
                while True:
                    await self._apply(await pull.next_batch(), waiting=pull.waiting)
            except Exception as exc:  # stream not there yet, bus down, ...: retry
                raise_if_cancelled()
                self.bound.discard(producer)
                _log.debug("consumer not bound yet", stream=stream, error=str(exc))
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                if pull is not None:
                    await pull.stop()

    async def _apply(self, messages: list[Msg], *, waiting: _Pulled) -> None:
        """Apply a batch in one transaction, again while it fails for a passing reason; if it
        fails otherwise, redo it one by one so that only the failing events are retried."""
        events: _Events = []
        failed: list[tuple[Msg, str]] = []
        for message in messages:
            if message.metadata.num_delivered > self._max_deliver:
                failed.append((message, UNSETTLED.format(self._max_deliver)))
                continue
            try:
                events.append((message, _genuine(message)))
            except MalformedEvent as exc:
                failed.append((message, f"malformed: {exc}"))

        def pulled() -> list[Msg]:
            return [*messages, *waiting()]

        try:
            outcomes = await self._until_it_passes(self._apply_batch, events, pulled)
        except Exception as exc:
            raise_if_cancelled()
            _log.info("batch failed, applying its events one by one", error=repr(exc))
            outcomes, events, failed_alone = await self._apply_one_by_one(events, pulled)
            failed += failed_alone
        for outcome, name in outcomes:
            self._observe(outcome, name)
        for message, _ in events:
            await message.ack()
        for message, error in failed:
            await self._retry_or_dead_letter(message, error)

    async def _until_it_passes(
        self, attempt: Callable[[_Events], Awaitable[_Result]], events: _Events, pulled: _Pulled
    ) -> _Result:
        """`attempt`, made again after a jittered, growing pause while it fails for a passing
        reason: such a failure says nothing about the events, and every redelivery brings an
        event closer to the dead-letter stream. Meanwhile `in_progress` restarts the ack wait
        of every message `pulled` (the batch's, and those pulled behind it)."""
        pause, longest = PASSING_RETRY_SECONDS
        longest = min(longest, ACK_WAIT_SECONDS / 4)
        held_at = time.monotonic()
        while True:
            try:
                return await attempt(events)
            except Exception as exc:
                raise_if_cancelled()
                if not is_passing(exc):
                    raise
                _log.info("batch failed for a passing reason; trying it again", error=repr(exc))
                for _, event in events:
                    self._observe("retried", event.name)
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)
            pause = min(pause * 2, longest)
            if time.monotonic() - held_at > ACK_WAIT_SECONDS / 4:
                held_at = time.monotonic()
                for message in pulled():
                    await message.in_progress()

    async def _apply_batch(self, events: _Events) -> list[tuple[str, str]]:
        """The fast path: one inbox claim for the whole batch, no savepoints."""
        wanted = [e for _, e in events if e.name in self._handlers]
        outcomes = []
        async with self._units() as uow:
            fresh = await inbox.claim_many(
                uow.connection, consumer=self._service, event_ids=[e.id for e in wanted]
            )
            to_apply = []
            for event in wanted:
                if event.id in fresh:
                    fresh.discard(event.id)  # the same event twice in one batch: apply once
                    to_apply.append(event)
                    outcomes.append(("processed", event.name))
                else:
                    outcomes.append(("duplicate", event.name))
            for name, run in groupby(to_apply, key=lambda e: e.name):
                await self._dispatch(name, list(run), uow)
        return outcomes

    async def _dispatch(self, name: str, run: list[Event], uow: UnitOfWork) -> None:
        """Hand a run of consecutive events of one type to its handler, in stream order."""
        handler = self._handlers[name]
        if isinstance(handler, Batched):
            with self._span(run):
                await handler.handle(run, uow)
            return
        for event in run:
            with self._span([event]):
                await handler(event, uow)

    @contextmanager
    def _span(self, run: list[Event]) -> Iterator[None]:
        """A consumer span that continues the (first) event's trace, so what the handler emits
        or calls carries that trace on; the rest of a batched run are linked. A lean span, as
        a request's (`request_spans`): the SDK's cost 20 to 45 µs more per run."""
        first = run[0]
        parent = extract_context({"traceparent": first.traceparent} if first.traceparent else {})
        links = []
        for event in run[1:]:
            if event.traceparent:
                context = trace.get_current_span(
                    extract_context({"traceparent": event.traceparent})
                ).get_span_context()
                links.append(Link(context))
        span = self._spans.start(
            f"consume {first.type}", parent, kind=SpanKind.CONSUMER, links=links
        )
        span.set_attributes(
            {
                "messaging.system": "nats",
                "messaging.destination.name": first.nats_subject,
                "messaging.batch.message_count": len(run),
                "bazaar.consumer": self._service,
                "bazaar.event.type": first.type,
                "bazaar.event.id": first.id,
                "bazaar.event.subject": first.subject,
                "bazaar.major": int(first.type.rsplit(".v", 1)[1]),
            }
        )
        current = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield
        except Exception as exc:  # as the SDK's `start_as_current_span` records it
            span.record_exception(exc)
            span.set_status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            otel_context.detach(current)
            span.end()

    async def _apply_one_by_one(self, events: _Events, pulled: _Pulled) -> _OneByOne:
        try:
            return await self._until_it_passes(self._one_by_one, events, pulled)
        except Exception as exc:  # the commit itself failed: nothing was applied
            raise_if_cancelled()
            _log.warning("consumer batch commit failed", error=str(exc))
            return [], [], [(m, f"commit failed: {exc}") for m, _ in events]

    async def _one_by_one(self, events: _Events) -> _OneByOne:
        """Each event in a savepoint of one transaction: the outcomes, the events applied (or
        of a type no handler takes), and those that failed, with why."""
        outcomes, done, failed = [], [], []
        async with self._units() as uow:
            for message, event in events:
                try:
                    if outcome := await self._apply_one(event, uow):
                        outcomes.append((outcome, event.name))
                    done.append((message, event))
                except _EventFailed as exc:
                    failed.append((message, str(exc)))
        return outcomes, done, failed

    async def _apply_one(self, event: Event, uow: UnitOfWork) -> str | None:
        """Apply one event inside a savepoint: its outcome, or `_EventFailed`. A passing failure
        is raised as it came: it says nothing about the event, and it ends the transaction."""
        if event.name not in self._handlers:  # an event type we no longer need: nothing to do
            return None
        emitted_before = len(uow.events)
        try:
            async with uow.connection.begin_nested():
                fresh = await inbox.claim_many(  # this event's id if it was not applied yet
                    uow.connection, consumer=self._service, event_ids=[event.id]
                )
                if fresh:
                    await self._dispatch(event.name, [event], uow)
        except Exception as exc:
            del uow.events[emitted_before:]
            if is_passing(exc):
                raise
            _log.warning("event handler failed", type=event.type, id=event.id, error=repr(exc))
            raise _EventFailed(repr(exc)) from exc
        return "processed" if fresh else "duplicate"

    async def _retry_or_dead_letter(self, message: Msg, error: str) -> None:
        self._observe("failed", event_name_of(message.subject))
        delivered = message.metadata.num_delivered
        if error.startswith("malformed") or delivered >= self._max_deliver:
            await self._dead_letter(message, error)
            return
        await message.nak(delay=min(0.5 * 2 ** (delivered - 1), 30.0))

    async def _dead_letter(self, message: Msg, error: str) -> None:
        """Copy the delivery to `DLQ`, then terminate it. If the copy landed but the `term` was
        lost, the event comes back and is copied again: its `Nats-Msg-Id` lets the stream drop
        the second copy. The id names the consumer, the event's place in its stream and a digest
        of its bytes, so that a stream deleted and made again within the window, whose sequence
        starts over, cannot pass a new event off as a copy."""
        digest = hashlib.blake2b(message.data, digest_size=8).hexdigest()
        place = f"{message.metadata.stream}:{message.metadata.sequence.stream}"
        headers = {
            "Nats-Msg-Id": f"{self._service}:{place}:{digest}",
            "Bazaar-Error": error[:1000],
            "Bazaar-Original-Subject": message.subject,
            "Bazaar-Stream": message.metadata.stream,
            "Bazaar-Consumer": self._service,
            "Bazaar-Deliveries": str(message.metadata.num_delivered),
        }
        try:
            await self._bus.js.publish(
                f"{SUBJECT_PREFIX}.dlq.{self._service}", message.data, headers=headers
            )
        except Exception as exc:  # keep the message; redelivered, it is dead-lettered at once
            _log.error("dead-lettering failed", error=str(exc))
            await message.nak(delay=RETRY_SECONDS)
            return
        self._observe("dead_lettered", event_name_of(message.subject))
        _log.error("event dead-lettered", subject=message.subject, error=error)
        await message.term()


def _genuine(message: Msg) -> Event:
    """The event, if it came the only way its producer's facts can come: published on the
    producer's own subject (NATS lets no one else publish there) into the producer's stream.
    A `product.*` type pulled from `PRICING`, or on another subject, is a forgery."""
    event = Event.from_json(message.data)
    if message.subject != event.nats_subject or message.metadata.stream != stream_name(
        event.producer
    ):
        raise MalformedEvent(
            f"{event.type} arrived on {message.subject} in stream {message.metadata.stream}: "
            "only its producer's own subject and stream may carry it"
        )
    return event
