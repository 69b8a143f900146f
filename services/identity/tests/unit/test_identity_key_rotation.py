"""Signing-key states: active → retiring (still published) → retired once its tokens expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bazaar_identity.domain import (
    RETIREMENT_GRACE_SECONDS,
    KeyStatus,
    SigningKey,
    demote_active,
    is_published,
    retire_expired,
    retirement_due,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TTL = 900


def a_key(kid: str, status: KeyStatus, retiring_since: datetime | None = None) -> SigningKey:
    return SigningKey(
        kid=kid,
        private_pem="(encrypted)",
        public_jwk={"kid": kid},
        status=status,
        created_at=NOW - timedelta(days=1),
        retiring_since=retiring_since,
    )


def test_a_rotation_turns_the_active_key_retiring_from_that_moment() -> None:
    keys = [
        a_key("old", KeyStatus.RETIRING, NOW - timedelta(hours=1)),
        a_key("k1", KeyStatus.ACTIVE),
    ]
    demoted = demote_active(keys, now=NOW)
    assert [(k.kid, k.status, k.retiring_since) for k in demoted] == [
        ("k1", KeyStatus.RETIRING, NOW)
    ]


def test_the_active_key_is_always_published() -> None:
    assert is_published(a_key("k1", KeyStatus.ACTIVE), now=NOW, token_ttl_seconds=TTL)


def test_a_retiring_key_is_published_until_its_last_token_expired_plus_the_grace() -> None:
    key = a_key("k1", KeyStatus.RETIRING, retiring_since=NOW)
    due = retirement_due(key, token_ttl_seconds=TTL)
    assert due == NOW + timedelta(seconds=TTL + RETIREMENT_GRACE_SECONDS)
    assert is_published(key, now=NOW + timedelta(seconds=TTL), token_ttl_seconds=TTL)
    assert is_published(key, now=due, token_ttl_seconds=TTL)
    assert not is_published(key, now=due + timedelta(seconds=1), token_ttl_seconds=TTL)


def test_only_retiring_keys_past_their_due_time_become_retired() -> None:
    long_ago = NOW - timedelta(seconds=TTL + RETIREMENT_GRACE_SECONDS + 1)
    keys = [
        a_key("active", KeyStatus.ACTIVE),
        a_key("recent", KeyStatus.RETIRING, retiring_since=NOW - timedelta(seconds=10)),
        a_key("expired", KeyStatus.RETIRING, retiring_since=long_ago),
        a_key("gone", KeyStatus.RETIRED, retiring_since=long_ago),
    ]
    retired = retire_expired(keys, now=NOW, token_ttl_seconds=TTL)
    assert [(k.kid, k.status) for k in retired] == [("expired", KeyStatus.RETIRED)]


def test_a_retired_key_is_never_published() -> None:
    key = a_key("gone", KeyStatus.RETIRED, retiring_since=NOW)
    assert not is_published(key, now=NOW, token_ttl_seconds=TTL)
