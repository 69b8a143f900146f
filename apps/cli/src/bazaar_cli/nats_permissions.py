"""NATS users and permissions for the embedded server: the bus's bulkheads (M7).

A service may publish only its own facts (`bazaar.<self>.>`) and its dead letters, manage only
its own stream, durable consumers named after itself and its own registry entry. Another
service's credentials therefore cannot publish `bazaar.product.recalled` — the server refuses.
The gateway may read the registry and own the policy bucket; the operator may do everything.
"""

from __future__ import annotations

import json

from bazaar_chassis.envelope import stream_name


def _service_permissions(service: str) -> dict[str, object]:
    stream = stream_name(service)
    return {
        "publish": {
            "allow": [
                f"bazaar.{service}.>",
                f"bazaar.dlq.{service}",
                "$JS.API.INFO",
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.STREAM.CREATE.{stream}",
                f"$JS.API.STREAM.UPDATE.{stream}",
                "$JS.API.STREAM.INFO.DLQ",
                "$JS.API.STREAM.CREATE.DLQ",
                "$JS.API.STREAM.UPDATE.DLQ",
                f"$JS.API.CONSUMER.CREATE.*.{service}",
                f"$JS.API.CONSUMER.CREATE.*.{service}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.*.{service}",
                f"$JS.API.CONSUMER.INFO.*.{service}",
                f"$JS.API.CONSUMER.MSG.NEXT.*.{service}",
                f"$JS.ACK.*.{service}.>",
                "$JS.API.STREAM.INFO.KV_services",
                "$JS.API.STREAM.CREATE.KV_services",
                f"$KV.services.{service}.>",
            ]
        },
        "subscribe": {"allow": ["_INBOX.>"]},
    }


def _kv_reader_writer(bucket: str) -> list[str]:
    stream = f"KV_{bucket}"
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.CREATE.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.DELETE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.>",
    ]


def _gateway_permissions() -> dict[str, object]:
    return {
        "publish": {
            "allow": [
                "$JS.API.INFO",
                "$JS.FC.>",
                *_kv_reader_writer("services"),
                *_kv_reader_writer("gateway_policies"),
                "$KV.gateway_policies.>",
            ]
        },
        "subscribe": {
            "allow": [
                "_INBOX.>",
                "bazaar.identity.signing_key_activated",
                "bazaar.identity.token_revoked",
            ]
        },
    }


def server_config(passwords: dict[str, str]) -> str:
    """The `authorization` block of nats-server.conf for these users."""
    users = []
    for user, password in sorted(passwords.items()):
        entry: dict[str, object] = {"user": user, "password": password}
        if user == "gateway":
            entry["permissions"] = _gateway_permissions()
        elif user != "operator":
            entry["permissions"] = _service_permissions(user)
        users.append(entry)
    return "authorization {\n  users = " + json.dumps(users, indent=2) + "\n}\n"
