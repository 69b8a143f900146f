"""The console's NATS user reads the bus and touches only dead letters: it looks up each
producer's stream and durables, the registry and the DLQ; its only writes are a dead letter's
retry (on the producer's own subjects) and deleting a dead letter."""

from __future__ import annotations

from bazaar_cli.bus_provisioning import platform_observers, platform_producers
from bazaar_cli.nats_permissions import observer_permissions, server_config


def _allowed() -> list[str]:
    allowed: list[str] = observer_permissions("console", platform_producers())["publish"]["allow"]  # type: ignore[index]
    return allowed


def test_the_console_is_the_platforms_only_observer_and_may_look_at_every_producer() -> None:
    assert platform_observers() == {"console": platform_producers()}
    config = server_config({"console": "pw"}, {}, platform_observers())
    assert "$JS.API.STREAM.INFO.ORDER" in config


def test_the_console_writes_only_its_own_registry_entries() -> None:
    writes = [s for s in _allowed() if s.startswith("$KV.")]
    assert writes == ["$KV.services.console.>"]


def test_the_console_creates_no_consumer_and_changes_no_stream() -> None:
    allowed = _allowed()
    creates = [
        s for s in allowed if ".CREATE." in s and not s.startswith("$JS.API.CONSUMER.CREATE.KV_")
    ]
    assert creates == []
    stream_writes = [
        s
        for s in allowed
        if s.startswith("$JS.API.STREAM.") and s.split(".")[3] not in ("INFO", "MSG")
    ]
    assert stream_writes == []
    assert [s for s in allowed if s.startswith("$JS.API.STREAM.MSG.DELETE")] == [
        "$JS.API.STREAM.MSG.DELETE.DLQ"
    ]
    assert not [s for s in allowed if s.startswith("$JS.API.STREAM.") and "*" in s]


def test_the_console_publishes_only_on_producers_subjects_to_retry_a_dead_letter() -> None:
    facts = sorted(s for s in _allowed() if s.startswith("bazaar."))
    assert facts == sorted(f"bazaar.{p}.>" for p in platform_producers())
    assert "bazaar.dlq.>" not in facts
