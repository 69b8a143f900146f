"""Registry entries are read across releases: an older reader meets fields a newer writer added."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from nats.js.kv import KeyValue

from bazaar_platform.instances import newest_entries, read_entry

ENTRY = {
    "service": "pricing",
    "version": "2.0.0",
    "instance_id": "a1",
    "url": "http://127.0.0.1:9",
    "majors": [1, 2],
    "default_major": 1,
    "openapi_url": "http://127.0.0.1:9/openapi.json",
}


def test_an_entry_round_trips() -> None:
    instance = read_entry(orjson.dumps(ENTRY))
    assert read_entry(instance.to_json()) == instance


def test_a_field_from_a_newer_release_is_ignored_not_a_malformed_entry() -> None:
    instance = read_entry(orjson.dumps({**ENTRY, "region": "eu-1"}))
    assert (instance.service, instance.majors, instance.weight) == ("pricing", [1, 2], 100)


def _entry(key: str, delta: int) -> KeyValue.Entry:
    return KeyValue.Entry(
        bucket="services",
        key=key,
        value=b"{}",
        revision=1,
        delta=delta,
        created=None,
        operation=None,
    )


async def _updates(*items: KeyValue.Entry | None) -> AsyncIterator[KeyValue.Entry | None]:
    for item in items:
        yield item
    raise AssertionError("read past the entry that left nothing pending")


async def test_a_read_ends_at_the_entry_that_left_nothing_pending() -> None:
    read = await newest_entries(_updates(_entry("a", 2), _entry("b", 1), _entry("c", 0)))
    assert [e.key for e in read] == ["a", "b", "c"]


async def test_a_no_more_marker_before_the_entries_is_not_the_end() -> None:
    """nats-py sends it first when the server delivered everything before the client counted
    anything: `keys()` then answered an empty registry under load."""
    read = await newest_entries(_updates(None, _entry("a", 1), _entry("b", 0)))
    assert [e.key for e in read] == ["a", "b"]
