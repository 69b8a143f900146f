"""Every producer's real payloads, built by its own event builders, through every consumer's real
reader: a payload a consumer cannot read fails here, before it is dead-lettered in production.

Producers publish every major in their `events.SCHEMAS` (pricing: price_changed v1 and v2 twins);
each consumer's reader must read every major it receives, and a producer must keep publishing a
major for as long as a consumer reads only that one. Covered: the catalog and search (product,
pricing, inventory, category) and the customer (identity); `READERS` is where the other consumers
join.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bazaar_catalog import consumers as catalog
from bazaar_category import domain as category_domain
from bazaar_category import events as category_events
from bazaar_chassis import Event
from bazaar_customer.events import UserRegistered
from bazaar_identity import domain as identity_domain
from bazaar_identity import events as identity_events
from bazaar_inventory import events as inventory_events
from bazaar_inventory.domain import LocationStock, StockSummary
from bazaar_pricing import events as pricing_events
from bazaar_pricing.domain import PriceList, price_row
from bazaar_product import domain as product_domain
from bazaar_product import events as product_events
from bazaar_search import consumers as search
from bazaar_shelf import copying as shelf
from bazaar_shelf import facts as shelf_facts

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
Payloads = list[tuple[str, dict[str, Any]]]  # (event type with its major, data)


def product_payloads() -> Payloads:
    product = product_domain.Product(
        id="p1",
        sku="COF-1",
        name="Ethiopia",
        description="washed",
        attributes={"roast": "light"},
        status=product_domain.ProductStatus.ACTIVE,
        version=3,
        created_at=NOW,
        updated_at=NOW,
    )
    state = product_events.product_state(product)
    return [
        ("product.created.v1", state),
        ("product.updated.v1", state),
        ("product.recalled.v1", product_events.recalled(product, "contaminated lot")),
    ]


def pricing_payloads() -> Payloads:
    price_list = PriceList(
        sku="COF-1",
        version=4,
        updated_at=NOW,
        rows=(
            price_row(currency="EUR", amount=1150),
            price_row(currency="USD", amount=1299),
            price_row(currency="USD", amount=999, min_quantity=10),
            price_row(currency="GBP", amount=900, customer_group="wholesale"),
        ),
    )
    return [(name, build(price_list)) for name, build in pricing_events.PUBLISHED.items()]


def inventory_payloads() -> Payloads:
    summary = StockSummary(
        sku="COF-1",
        version=7,
        locations=(LocationStock("berlin", 5, 1), LocationStock("default", 3, 0)),
    )
    return [("inventory.stock_changed.v1", inventory_events.stock_changed(summary))]


def category_payloads() -> Payloads:
    category = category_domain.Category(
        id="c1",
        key="coffee",
        name="Coffee",
        parent=None,
        position=1,
        version=2,
        created_at=NOW,
        updated_at=NOW,
    )
    membership = category_domain.Membership(
        category="coffee",
        sku="COF-1",
        position=2,
        assigned=True,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    return [
        ("category.created.v1", category_events.category_state(category)),
        ("category.updated.v1", category_events.category_state(category)),
        ("category.product_assigned.v1", category_events.product_assigned(membership)),
        ("category.product_unassigned.v1", category_events.product_unassigned(membership)),
    ]


def identity_payloads() -> Payloads:
    user = identity_domain.User(
        id="u1",
        email="ann@bazaar.test",
        name="Ann",
        password_hash="not-a-hash",
        version=1,
        created_at=NOW,
        updated_at=NOW,
        memberships=(),
    )
    registration = identity_domain.Registration(
        email="ann@bazaar.test", name="Ann", organization="public", roles=("customer",)
    )
    return [("identity.user_registered.v1", identity_events.user_registered(user, registration))]


PRODUCERS: dict[str, Callable[[], Payloads]] = {
    "product": product_payloads,
    "pricing": pricing_payloads,
    "inventory": inventory_payloads,
    "category": category_payloads,
    "identity": identity_payloads,
}

Reader = Callable[[Event], object]


SHOP_WINDOW: dict[str, Reader] = {  # what the catalog and search both read through bazaar_shelf
    "pricing.price_changed": shelf.price_row,
    "inventory.stock_changed": shelf.stock_row,
    "category.created": shelf.category_row,
    "category.updated": shelf.category_row,
    "category.product_assigned": shelf.placement_row(assigned=True),
    "category.product_unassigned": shelf.placement_row(assigned=False),
}

READERS: dict[str, dict[str, Reader]] = {
    "catalog": {
        "product.created": catalog.product_row,
        "product.updated": catalog.product_row,
        "product.recalled": catalog.product_row,
        **SHOP_WINDOW,
    },
    "search": {
        "product.created": search.product_row,
        "product.updated": search.product_row,
        "product.recalled": search.product_row,
        **SHOP_WINDOW,
    },
    "customer": {"identity.user_registered": lambda e: UserRegistered.model_validate(e.data)},
}
"""Each consumer's own reader of each event name it handles (what its handlers call first)."""

MAJORS_READ: dict[str, dict[str, frozenset[int]]] = {
    "catalog": shelf_facts.READS,
    "search": shelf_facts.READS,
}


def all_payloads() -> Payloads:
    return [payload for build in PRODUCERS.values() for payload in build()]


def unreadable(payloads: Payloads) -> list[str]:
    """Every (consumer, payload) pair where the consumer's reader fails, in words."""
    failures = []
    for consumer, readers in READERS.items():
        for event_type, data in payloads:
            event = Event(type=event_type, subject="s", data=data, sequence=1)
            reader = readers.get(event.name)
            if reader is None:
                continue
            try:
                reader(event)
            except Exception as exc:  # any failure is a broken contract
                failures.append(f"{consumer} cannot read {event_type}: {exc!r}"[:300])
    return failures


def test_every_consumer_reads_every_payload_every_producer_publishes() -> None:
    assert unreadable(all_payloads()) == []


def test_every_event_a_consumer_handles_is_published_by_some_producer() -> None:
    published = {Event(type=t, subject="s", data={}, sequence=1).name for t, _ in all_payloads()}
    for consumer, readers in READERS.items():
        assert set(readers) <= published, consumer


def test_a_producer_publishes_a_major_each_consumer_reads_and_none_it_cannot_read() -> None:
    published: dict[str, set[int]] = {}
    for event_type, _ in all_payloads():
        name, major = event_type.rsplit(".v", 1)
        published.setdefault(name, set()).add(int(major))
    for consumer, reads in MAJORS_READ.items():
        for name, majors in reads.items():
            assert published[name] <= majors, f"{consumer} cannot read all of {name}"
            assert published[name] & majors, f"nothing {consumer} reads of {name} is published"


def test_a_deliberately_broken_payload_fails_the_contract() -> None:
    broken = []
    for event_type, data in pricing_payloads():
        if event_type == pricing_events.PRICE_CHANGED_V2:  # a field renamed without a new major
            data = {**data, "currency_prices": data["currencies"]}
            del data["currencies"]
        broken.append((event_type, data))
    failures = unreadable(broken)
    assert [f.split(":", 1)[0] for f in failures] == [
        "catalog cannot read pricing.price_changed.v2",
        "search cannot read pricing.price_changed.v2",
    ]
    assert all("currencies" in failure for failure in failures)
