"""Registry entries are read across releases: an older reader meets fields a newer writer added."""

from __future__ import annotations

import orjson

from bazaar_platform.instances import read_entry

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
