"""The directory answers from a snapshot per service, and the snapshot is never stale: an entry
put or removed shows at once, and an instance drops out the moment its heartbeat ages past the
registry's limit, exactly as a fresh look at every entry would say."""

from __future__ import annotations

from dataclasses import replace

from bazaar_chassis.registry import Instance
from bazaar_gateway.directory import ServiceDirectory
from bazaar_platform.instances import STALE_AFTER_SECONDS

NOW = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def pricing(
    instance_id: str, *, heartbeat_at: float = NOW, majors: list[int] | None = None
) -> Instance:
    port = 4300 + len(instance_id)
    return Instance(
        service="pricing",
        version="1.0.0",
        instance_id=instance_id,
        url=f"http://127.0.0.1:{port}",
        majors=majors or [1],
        default_major=1,
        openapi_url=f"http://127.0.0.1:{port}/openapi.json",
        heartbeat_at=heartbeat_at,
    )


def live_ids(directory: ServiceDirectory, major: int = 1) -> list[str]:
    return [i.instance_id for i in directory.candidates("pricing", major)]


def test_an_entry_put_after_a_look_is_routed_to_on_the_next_look() -> None:
    directory = ServiceDirectory(clock=Clock())
    directory.put(pricing("a"))
    assert live_ids(directory) == ["a"]

    directory.put(pricing("bb", majors=[1, 2]))

    assert live_ids(directory) == ["a", "bb"]
    assert live_ids(directory, 2) == ["bb"]
    view = directory.view("pricing")
    assert view is not None
    assert view.majors == [1, 2]


def test_a_removed_entry_is_gone_on_the_next_look() -> None:
    directory = ServiceDirectory(clock=Clock())
    directory.put(pricing("a"))
    directory.put(pricing("bb"))
    assert live_ids(directory) == ["a", "bb"]

    directory.remove("pricing.a")

    assert live_ids(directory) == ["bb"]


def test_an_instance_whose_heartbeat_ages_past_the_limit_drops_out_without_any_change() -> None:
    clock = Clock()
    directory = ServiceDirectory(clock=clock)
    directory.put(pricing("a", heartbeat_at=NOW - 1))
    directory.put(pricing("bb", heartbeat_at=NOW))
    assert live_ids(directory) == ["a", "bb"]

    clock.now = NOW - 1 + STALE_AFTER_SECONDS  # a's heartbeat is now exactly too old

    assert live_ids(directory) == ["bb"]
    assert directory.pick("pricing", 1) == directory.candidates("pricing", 1)[0]

    clock.now = NOW + STALE_AFTER_SECONDS

    assert live_ids(directory) == []
    assert directory.view("pricing") is None
    assert directory.pick("pricing", 1) is None


def test_a_fresh_heartbeat_keeps_an_instance_routed_past_its_old_limit() -> None:
    clock = Clock()
    directory = ServiceDirectory(clock=clock)
    directory.put(pricing("a", heartbeat_at=NOW))
    assert live_ids(directory) == ["a"]

    clock.now = NOW + STALE_AFTER_SECONDS - 1
    directory.put(pricing("a", heartbeat_at=clock.now))
    clock.now = NOW + STALE_AFTER_SECONDS + 1

    assert live_ids(directory) == ["a"]


def test_a_version_that_int_cannot_read_sorts_as_zero_and_breaks_no_view() -> None:
    directory = ServiceDirectory(clock=Clock())
    directory.put(pricing("a"))
    # "²" is a digit to str.isdigit, and int() refuses it; any service may register any version
    directory.put(replace(pricing("bb"), version="1.²", default_major=2))
    view = directory.view("pricing")
    assert view is not None
    assert view.default_major == 1  # 1.0.0 is newer than 1.0 (the "²" counts as 0)
