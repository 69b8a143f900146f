"""The operations token opens the gateway's and the console's operator answers only to its
exact bearer, and to no one when none is configured."""

from __future__ import annotations

from bazaar_platform.operations_token import presents_operations_token


def test_only_the_exact_bearer_of_the_configured_token_presents_it() -> None:
    assert presents_operations_token("Bearer s3cret", "s3cret")
    assert not presents_operations_token("Bearer s3cre", "s3cret")
    assert not presents_operations_token("s3cret", "s3cret")
    assert not presents_operations_token("Basic s3cret", "s3cret")
    assert not presents_operations_token(None, "s3cret")


def test_no_one_presents_a_token_that_is_not_configured() -> None:
    assert not presents_operations_token("Bearer ", None)
    assert not presents_operations_token(None, None)
