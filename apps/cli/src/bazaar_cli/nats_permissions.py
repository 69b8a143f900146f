"""NATS users and permissions for the embedded server: the bus's bulkheads (M7).

Deny by default. A service may publish only its own facts (`bazaar.<self>.>`) and its dead
letters (`bazaar.dlq.<self>`), write only its own registry entries, look up (never create or
change) its stream and the registry, and bind the durable consumer named after itself only on
the streams of the producers it declares it consumes; its replies arrive under its own inbox
prefix. So cart's credentials cannot forge `bazaar.product.recalled`, create or reconfigure any
stream (a `republish` into another producer's subjects, a one-message `DLQ`), nor read a stream,
bucket or reply meant for someone else. The gateway may read the registry and use the policy
bucket; only the operator, which provisions the bus (`bus_provisioning`), may do everything.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from bazaar_chassis.bus import inbox_prefix
from bazaar_chassis.envelope import stream_name
from bazaar_platform.provisioning import DLQ_STREAM, POLICY_BUCKET, REGISTRY_BUCKET, kv_stream

OPERATOR = "operator"
GATEWAY = "gateway"


def _durable_on(stream: str, durable: str) -> list[str]:
    """Create, bind and ack the one durable `durable` on `stream`, by every nats-server 2.x
    subject form; the server checks that the name in the subject is the one in the request."""
    return [
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",  # ... with one filter subject
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def service_permissions(service: str, consumes: Collection[str] = ()) -> dict[str, object]:
    allowed = [
        f"bazaar.{service}.>",
        f"bazaar.dlq.{service}",
        f"$JS.API.STREAM.INFO.{stream_name(service)}",
        f"$JS.API.STREAM.INFO.{kv_stream(REGISTRY_BUCKET)}",
        f"$KV.{REGISTRY_BUCKET}.{service}.>",
    ]
    for producer in sorted(set(consumes)):
        allowed += _durable_on(stream_name(producer), service)
    return {
        "publish": {"allow": allowed},
        "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]},
    }


def _kv_reader(bucket: str) -> list[str]:
    """Read and watch `bucket` (ephemeral consumers of any name, on that bucket's stream only)."""
    stream = kv_stream(bucket)
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.DELETE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


def gateway_permissions() -> dict[str, object]:
    return {
        "publish": {
            "allow": [
                *_kv_reader(REGISTRY_BUCKET),
                *_kv_reader(POLICY_BUCKET),
                f"$KV.{POLICY_BUCKET}.>",
            ]
        },
        "subscribe": {
            "allow": [
                f"{inbox_prefix(GATEWAY)}.>",
                "bazaar.identity.signing_key_activated",
                "bazaar.identity.token_revoked",
            ]
        },
    }


def observer_permissions(observer: str, producers: Collection[str]) -> dict[str, object]:
    """The console: read the registry, each producer's stream and durables, and the dead letters;
    its only writes are a dead letter's retry (re-published on the producer's subject) and
    removing a dead letter. No stream is named by a wildcard, and it creates no consumer."""
    allowed = [*_kv_reader(REGISTRY_BUCKET), f"$KV.{REGISTRY_BUCKET}.{observer}.>"]  # its entry
    for stream in [*(stream_name(p) for p in sorted(producers)), DLQ_STREAM]:
        allowed += [f"$JS.API.STREAM.INFO.{stream}", f"$JS.API.CONSUMER.INFO.{stream}.>"]
    allowed += [
        f"$JS.API.STREAM.MSG.GET.{DLQ_STREAM}",
        f"$JS.API.STREAM.MSG.DELETE.{DLQ_STREAM}",
        *(f"bazaar.{p}.>" for p in sorted(producers)),
    ]
    return {
        "publish": {"allow": allowed},
        "subscribe": {"allow": [f"{inbox_prefix(observer)}.>"]},
    }


def server_config(
    passwords: Mapping[str, str],
    consumes: Mapping[str, Collection[str]] | None = None,
    observers: Mapping[str, Collection[str]] | None = None,
) -> str:
    """The `authorization` block of nats-server.conf for these users; `consumes` maps a service
    to the producers it declares it consumes (see `bus_provisioning.platform_consumption`),
    `observers` an observer to the producers it may look at (`platform_observers`)."""
    consumes = consumes or {}
    observers = observers or {}
    users = []
    for user, password in sorted(passwords.items()):
        entry: dict[str, object] = {"user": user, "password": password}
        if user == GATEWAY:
            entry["permissions"] = gateway_permissions()
        elif user in observers:
            entry["permissions"] = observer_permissions(user, observers[user])
        elif user != OPERATOR:
            entry["permissions"] = service_permissions(user, consumes.get(user, ()))
        users.append(entry)
    return "authorization {\n  users = " + json.dumps(users, indent=2) + "\n}\n"
