"""The replay cache: an assertion id is accepted once until it expires, and memory stays bounded."""

from __future__ import annotations

from bazaar_chassis.replay import ReplayCache


def test_an_id_is_new_once_and_then_seen_until_it_expires() -> None:
    cache = ReplayCache()
    assert not cache.seen_before("a", expires=10.0, now=0.0)
    assert cache.seen_before("a", expires=10.0, now=9.0)


def test_expired_ids_are_forgotten() -> None:
    cache = ReplayCache()
    for i in range(100):
        cache.seen_before(str(i), expires=10.0, now=0.0)
    cache.seen_before("late", expires=30.0, now=20.0)
    assert len(cache) == 1


def test_a_full_cache_says_so_instead_of_forgetting_unexpired_ids() -> None:
    cache = ReplayCache(capacity=2)
    cache.seen_before("a", expires=10.0, now=0.0)
    cache.seen_before("b", expires=10.0, now=0.0)
    assert cache.full
    assert cache.seen_before("a", expires=10.0, now=1.0)
