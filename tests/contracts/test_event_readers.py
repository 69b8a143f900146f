"""Consumers' tolerant readers against the producers' published schemas: every field a reader
requires is one the producer always sends, so a fact can never be unreadable downstream.

One row per (reader, producer schema); the order events join when the order service exists.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from bazaar_cart import events as cart_events
from bazaar_customer import events as customer_events
from bazaar_identity import events as identity_events
from bazaar_inventory import events as inventory_events
from bazaar_notification import events as notification_events
from bazaar_order import events as order_events
from bazaar_product import events as product_events


def required(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}


PAIRS = [
    pytest.param(
        customer_events.UserRegistered,
        identity_events.SCHEMAS[identity_events.USER_REGISTERED],
        id="customer reads identity.user_registered",
    ),
    *(
        pytest.param(
            reader,
            product_events.SCHEMAS[product_events.PRODUCT_RECALLED],
            id=f"{service} reads product.recalled",
        )
        for service, reader in (
            ("inventory", inventory_events.ProductRecalledFacts),
            ("cart", cart_events.ProductRecalled),
            ("order", order_events.ProductRecalledFacts),
            ("notification", notification_events.ProductRecalled),
        )
    ),
]


@pytest.mark.parametrize(("reader", "published"), PAIRS)
def test_a_reader_requires_only_fields_the_producer_always_sends(
    reader: type[BaseModel], published: type[BaseModel]
) -> None:
    assert required(reader) <= required(published)
    assert set(reader.model_fields) <= set(published.model_fields)
