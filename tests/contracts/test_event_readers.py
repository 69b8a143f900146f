"""Consumers' tolerant readers against the producers' published schemas: every field a reader
requires is one the producer always sends, so a fact can never be unreadable downstream.

One row per (reader, producer schema); the order events join when the order service exists.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from bazaar_customer import events as customer_events
from bazaar_identity import events as identity_events


def required(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}


PAIRS = [
    pytest.param(
        customer_events.UserRegistered,
        identity_events.SCHEMAS[identity_events.USER_REGISTERED],
        id="customer reads identity.user_registered",
    ),
]


@pytest.mark.parametrize(("reader", "published"), PAIRS)
def test_a_reader_requires_only_fields_the_producer_always_sends(
    reader: type[BaseModel], published: type[BaseModel]
) -> None:
    assert required(reader) <= required(published)
    assert set(reader.model_fields) <= set(published.model_fields)
