"""The back-off schedule: free attempts, then a delay that doubles up to a cap."""

from __future__ import annotations

from bazaar_identity.throttle import ACCOUNT_POLICY, ThrottlePolicy, TooManyAttempts


def test_the_first_failures_are_free_then_the_delay_doubles_up_to_the_cap() -> None:
    policy = ThrottlePolicy(free_failures=5, first_delay=1.0, max_delay=8.0)
    assert [policy.delay(n) for n in range(1, 11)] == [0, 0, 0, 0, 1, 2, 4, 8, 8, 8]


def test_an_account_is_blocked_after_its_fifth_failure_in_a_row() -> None:
    assert ACCOUNT_POLICY.delay(4) == 0
    assert ACCOUNT_POLICY.delay(5) > 0


def test_a_refusal_says_when_to_retry_in_whole_seconds_rounded_up() -> None:
    refused = TooManyAttempts(1.2)
    assert refused.status == 429
    assert refused.headers == {"Retry-After": "2"}
