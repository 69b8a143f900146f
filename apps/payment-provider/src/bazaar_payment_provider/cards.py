"""The test cards and what each does, like a hosted processor's test mode.

A card number is checked (Luhn, length) and given a brand; the behaviour of a payment depends
only on its number, so tests and demos can choose the outcome.
"""

from __future__ import annotations

from enum import StrEnum

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
SLOW = "4000000000000077"  # its result comes ≈3 s after the request
TRANSIENT = "4000000000000119"  # the first attempt of each idempotency key fails with 503

SLOW_SECONDS = 3.0


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    SLOW = "slow"
    TRANSIENT = "transient"


def behaviour(card_number: str) -> Behaviour:
    return {
        DECLINED: Behaviour.DECLINE,
        SLOW: Behaviour.SLOW,
        TRANSIENT: Behaviour.TRANSIENT,
    }.get(card_number, Behaviour.SUCCEED)


def luhn_valid(number: str) -> bool:
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"
