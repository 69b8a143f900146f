"""The bus's layout: every stream and KV bucket, created and configured by the operator only.

Services hold no right to create or change a stream (M7): a service that could would add a
`republish` into another producer's subjects or shrink the shared `DLQ`. The operator (`bazaar
up`, `bazaar provision`, the test plugin's `nats_server`) runs `provision` before services start;
services then only look their stream up (`bazaar_chassis.bus.open_stream`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import nats
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from bazaar_chassis.envelope import SUBJECT_PREFIX, producer_subjects, stream_name
from bazaar_chassis.registry import BUCKET

DLQ_STREAM = "DLQ"
REGISTRY_BUCKET = BUCKET  # the services' heartbeats (bazaar_chassis.registry)
POLICY_BUCKET = "gateway_policies"  # the gateway's live policy (bazaar_gateway.policy_store)
DUPLICATE_WINDOW_SECONDS = 3600.0  # an outbox retried within this window is deduplicated
REGISTRY_MAX_AGE_SECONDS = 60.0  # an entry nobody re-puts is gone after this
REGISTRY_MAX_ENTRY_BYTES = 16 * 1024

T = TypeVar("T")


def kv_stream(bucket: str) -> str:
    return f"KV_{bucket}"


def producer_stream(producer: str, *, replicas: int = 1) -> StreamConfig:
    """One stream per producer, holding `bazaar.<producer>.>` and nothing else."""
    return StreamConfig(
        name=stream_name(producer),
        subjects=[producer_subjects(producer)],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


def dead_letter_stream(*, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM,
        subjects=[f"{SUBJECT_PREFIX}.dlq.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


def _bucket(
    bucket: str, *, history: int, replicas: int, max_age: float | None = None
) -> StreamConfig:
    """A KV bucket's stream, as nats-py's `create_key_value` would make it, minus `Nats-Rollup`
    for the registry: a writer of one key must not be able to wipe every other key."""
    return StreamConfig(
        name=kv_stream(bucket),
        subjects=[f"$KV.{bucket}.>"],
        storage=StorageType.FILE,
        max_msgs_per_subject=history,
        max_age=max_age,
        discard=DiscardPolicy.NEW,
        deny_delete=True,
        allow_direct=True,
        allow_rollup_hdrs=bucket != REGISTRY_BUCKET,
        max_msg_size=REGISTRY_MAX_ENTRY_BYTES if bucket == REGISTRY_BUCKET else None,
        duplicate_window=min(120.0, max_age) if max_age else 120.0,
        num_replicas=replicas,
    )


def registry_bucket(*, replicas: int = 1) -> StreamConfig:
    return _bucket(REGISTRY_BUCKET, history=1, replicas=replicas, max_age=REGISTRY_MAX_AGE_SECONDS)


def policy_bucket(*, replicas: int = 1) -> StreamConfig:
    return _bucket(POLICY_BUCKET, history=10, replicas=replicas)


def layout(producers: Iterable[str], *, replicas: int = 1) -> list[StreamConfig]:
    """Everything the platform needs on the bus for these producers."""
    return [
        registry_bucket(replicas=replicas),
        policy_bucket(replicas=replicas),
        dead_letter_stream(replicas=replicas),
        *(producer_stream(p, replicas=replicas) for p in sorted(set(producers))),
    ]


async def provision(
    js: JetStreamContext, producers: Iterable[str], *, replicas: int = 1
) -> list[str]:
    """Create what is missing and bring what exists up to the layout; returns the stream names.

    Needs the operator's rights. Idempotent: run it on every start.
    """
    names = []
    for config in layout(producers, replicas=replicas):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
        names.append(config.name)
    return names


async def provision_server(
    url: str,
    producers: Iterable[str],
    *,
    user: str | None = None,
    password: str | None = None,
    replicas: int = 1,
) -> list[str]:
    """`provision` over a connection of its own, as `user` (the operator)."""
    client = await nats.connect(
        url, user=user, password=password, allow_reconnect=False, connect_timeout=5
    )
    try:
        return await provision(client.jetstream(timeout=10), producers, replicas=replicas)
    finally:
        await client.close()


def run_blocking(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` for a synchronous caller (the supervisor, test fixtures) on a thread of its
    own, so it works whether or not an event loop is running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
