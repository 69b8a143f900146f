"""Which instance answers a caller: a release drawn by weight, sticky per caller, then an instance.

A release's weight is the sum of its instances' registry weights; a stable hash of the caller
places it on [0, 1), so one caller stays on one release while the set of releases is unchanged.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bazaar_chassis.registry import Instance


def caller_point(sticky_key: str) -> float:
    """Where a caller falls on [0, 1): the same key always falls on the same point."""
    digest = hashlib.blake2b(sticky_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def release_weights(instances: Sequence[Instance]) -> dict[str, int]:
    """Each release's weight, in a stable order (by release)."""
    weights: dict[str, int] = defaultdict(int)
    for instance in sorted(instances, key=lambda i: i.version):
        weights[instance.version] += max(instance.weight, 0)
    return dict(weights)


def pick_release(weights: dict[str, int], point: float) -> str:
    """The release whose slice of [0, 1) holds `point`; all weights zero: an equal split."""
    total = sum(weights.values())
    shares = weights if total > 0 else dict.fromkeys(weights, 1)
    target = point * sum(shares.values())
    reached = 0
    for release, weight in shares.items():
        reached += weight
        if target < reached:
            return release
    return next(reversed(shares))


def pick(
    instances: Sequence[Instance],
    *,
    sticky_key: str,
    turn: int = 0,
    avoid: frozenset[str] = frozenset(),
) -> Instance | None:
    """The instance for the caller `sticky_key`: its release by weight, then the `turn`-th one of
    that release's weighted instances (round-robin); instances in `avoid` are not candidates."""
    choices = sorted((i for i in instances if i.key not in avoid), key=lambda i: i.key)
    if not choices:
        return None
    release = pick_release(release_weights(choices), caller_point(sticky_key))
    release_peers = [i for i in choices if i.version == release]
    peers = [i for i in release_peers if i.weight > 0] or release_peers
    return peers[turn % len(peers)]


@dataclass(frozen=True, slots=True)
class Plan:
    """`pick` for one set of instances with nothing to avoid, worked out once per set: each
    release's weight and peers. The directory keeps one per major until its instances change;
    a request then pays a hash and an index, and no hash when only one release is live.
    Property-tested against `pick` (test_gateway_canary.py)."""

    weights: dict[str, int]
    peers: dict[str, list[Instance]]

    @classmethod
    def of(cls, instances: Sequence[Instance]) -> Plan:
        choices = sorted(instances, key=lambda i: i.key)
        weights = release_weights(choices)
        peers = {}
        for release in weights:
            release_peers = [i for i in choices if i.version == release]
            peers[release] = [i for i in release_peers if i.weight > 0] or release_peers
        return cls(weights, peers)

    def pick(self, *, sticky_key: str, turn: int = 0) -> Instance | None:
        if not self.peers:
            return None
        if len(self.peers) == 1:
            (peers,) = self.peers.values()
        else:
            peers = self.peers[pick_release(self.weights, caller_point(sticky_key))]
        return peers[turn % len(peers)]
