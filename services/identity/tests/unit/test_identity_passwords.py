"""Password hashing: argon2id, and a failure path that costs the same whether the user exists."""

from __future__ import annotations

from typing import Literal

from argon2 import PasswordHasher

from bazaar_identity.passwords import PasswordHashing


class CountingHasher(PasswordHasher):
    """A real (cheap) argon2id hasher that counts how often it verifies."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


def test_the_default_hash_is_argon2id_with_a_salt_of_its_own() -> None:
    hashing = PasswordHashing()
    first, second = hashing.hash("correct horse battery"), hashing.hash("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    hashing = PasswordHashing(CountingHasher())
    stored = hashing.hash("correct horse battery")
    assert hashing.verify(stored, "correct horse battery")
    assert not hashing.verify(stored, "correct horse battery!")
    assert not hashing.verify(stored, "")


def test_an_unknown_user_still_costs_one_verification_and_fails() -> None:
    hasher = CountingHasher()
    hashing = PasswordHashing(hasher)
    hashing.hash("warm up")  # not counted: hashing is not verifying
    assert not hashing.verify(None, "whatever the caller typed")
    assert hasher.verifications == 1


def test_a_corrupt_stored_hash_fails_verification_instead_of_raising() -> None:
    hashing = PasswordHashing(CountingHasher())
    assert not hashing.verify("not-a-hash", "correct horse battery")


async def test_the_async_variants_agree_with_the_sync_ones() -> None:
    hashing = PasswordHashing(CountingHasher())
    await hashing.warm_up()
    stored = await hashing.hash_async("correct horse battery")
    assert await hashing.verify_async(stored, "correct horse battery")
    assert not await hashing.verify_async(None, "correct horse battery")
