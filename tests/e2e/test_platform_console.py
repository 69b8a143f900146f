"""The operator console on a real `bazaar up` (issue 14): every live service and event, SLOs
whose numbers are the requests' own (refusals included), a poison event in dead letters retried
once after the fix, and a checkout's trace across the gateway, services and the bus.

One platform for the module; each test makes its own SKUs and orders.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from bazaar_chassis.envelope import Event
from bazaar_chassis.testing import eventually_sync
from bazaar_cli.platform import BUS_SERVICES
from bazaar_cli.state import RunState

from .conftest import Platform, client
from .storefront_browser import DESKTOP, launch
from .test_platform_checkout import GOOD_CARD, a_cart_with, a_coffee_in_stock, place_order, settled

pytestmark = pytest.mark.e2e

SETTLE_SECONDS = 30.0
# Set to a folder (e.g. docs/screenshots) to write the console's screenshots there.
CONSOLE_SCREENSHOTS = os.environ.get("BAZAAR_CONSOLE_SCREENSHOTS")


@pytest.fixture(scope="module")
def admin(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "admin@bazaar.test") as c:
        yield c


@pytest.fixture(scope="module")
def shopper(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform, "shopper@bazaar.test") as c:
        yield c


@pytest.fixture(scope="module")
def guest(platform: Platform) -> Iterator[httpx.Client]:
    with client(platform) as c:
        yield c


def test_the_console_is_for_operators_and_admins_only(
    shopper: httpx.Client, guest: httpx.Client, admin: httpx.Client
) -> None:
    assert shopper.get("/console/1/services").status_code == 403
    assert guest.get("/console/1/services").status_code in (401, 403)
    page = admin.get("/console/", follow_redirects=True)
    assert page.status_code == 200
    assert "Service levels" in page.text


def test_services_lists_every_service_with_its_release_majors_and_healthy_instances(
    admin: httpx.Client,
) -> None:
    def all_ready() -> dict[str, Any] | None:
        items = {s["name"]: s for s in admin.get("/console/1/services").json()["items"]}
        wanted = {c.name for c in BUS_SERVICES}
        ready = wanted <= set(items) and all(items[n]["health"] == "ready" for n in wanted)
        return items if ready else None

    items = eventually_sync(all_ready, timeout=SETTLE_SECONDS, message="not every service ready")
    product = items["product"]
    assert product["majors"] == [1]
    (release,) = product["releases"]
    assert release["release"] == "1.0.0"
    assert release["instances"] == 1
    assert product["instances"][0]["health"] == "ready"
    assert product["openapi"] == ["/product/1/openapi.json"]


def test_events_name_each_producer_its_consumers_and_their_durables_backlog(
    admin: httpx.Client,
) -> None:
    def listed() -> dict[str, Any] | None:  # heartbeats lag under load: wait for order's entry
        found: dict[str, Any] = admin.get("/console/1/events").json()
        names = {e["name"] for e in found["items"]}
        return found if {"order.placed", "product.created"} <= names else None

    found = eventually_sync(listed, timeout=SETTLE_SECONDS, message="order.placed never listed")
    by_name = {e["name"]: e for e in found["items"]}
    placed = by_name["order.placed"]
    assert placed["producer"] == placed["system_of_record"] == "order"
    assert placed["types"] == ["order.placed.v1"]
    consumers = {c["service"]: c for c in placed["consumers"]}
    assert {"inventory", "payment", "customer", "promotion", "cart"} <= set(consumers)
    durable = consumers["inventory"]["durable"]
    assert durable["durable"] == "inventory"
    assert durable["pending"] >= 0
    product_readers = {c["service"] for c in by_name["product.created"]["consumers"]}
    assert product_readers == {"catalog", "search"}
    assert {"ORDER", "PRODUCT"} <= {s["name"] for s in found["streams"]}


def _slo_counts(admin: httpx.Client) -> dict[tuple[str, str], dict[str, int]]:
    report = admin.get("/console/1/slo", params={"window": 3600}).json()
    return {
        (r["service"], r["route"]): r["by_status"]
        for r in report["routes"]
        if r["service"] == "product"
    }


def test_slo_counts_successes_and_errors_refusals_included_per_release_and_route(
    admin: httpx.Client, guest: httpx.Client
) -> None:
    sku = "SLO-" + uuid.uuid4().hex[:6].upper()
    created = admin.post("/product/1/products", json={"sku": sku, "name": "Counted"})
    assert created.status_code == 201, created.text
    before = _slo_counts(admin)
    for _ in range(5):
        assert admin.get(f"/product/1/products/{sku}").status_code == 200
    for _ in range(3):
        assert admin.get(f"/product/1/products/NO-{sku}").status_code == 404
    for _ in range(2):
        assert guest.get("/product/1/products").status_code == 403

    def gained() -> dict[str, int] | None:
        after = _slo_counts(admin)
        route, refused = ("product", "/product/1/products/{sku}"), ("product", "(refused)")
        delta = {
            status: after.get(key, {}).get(status, 0) - before.get(key, {}).get(status, 0)
            for key, status in ((route, "200"), (route, "404"), (refused, "403"))
        }
        return delta if delta == {"200": 5, "404": 3, "403": 2} else None

    eventually_sync(gained, timeout=SETTLE_SECONDS, message="the SLO never counted the requests")
    report = admin.get("/console/1/slo", params={"window": 3600}).json()
    row = next(
        r
        for r in report["routes"]
        if (r["service"], r["route"]) == ("product", "/product/1/products/{sku}")
    )
    assert row["release"] == "1.0.0"
    assert row["availability"] == 1.0  # a 404 is the client's error, not the service's
    assert row["client_error_rate"] > 0
    assert row["p50_ms"] is not None


def _product_created(admin: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """`product.created` as /events shows it, and its consumers by service; None while its
    producer or a reader is not listed (the console reads live instances afresh on every call,
    and an instance whose heartbeat is late under load is not live; a 503 or 504 of a loaded
    machine is "not yet" too, any other refusal fails at once with its problem)."""
    reply = admin.get("/console/1/events", params={"window": 3600})
    if reply.status_code in (503, 504):
        return None
    assert reply.status_code == 200, reply.text
    created = next((e for e in reply.json()["items"] if e["name"] == "product.created"), None)
    if created is None:
        return None
    consumers = {c["service"]: c for c in created["consumers"]}
    return (created, consumers) if {"catalog", "search"} <= consumers.keys() else None


def test_events_and_services_count_what_every_instance_published_consumed_and_answered(
    admin: httpx.Client,
) -> None:
    def caught_up() -> tuple[dict[str, Any], dict[str, Any]] | None:
        if (shown := _product_created(admin)) is None:
            return None
        created, consumers = shown
        lags = [consumers[name]["lag"] for name in ("catalog", "search")]
        return (created, consumers) if lags == [0, 0] else None

    before, readers = eventually_sync(caught_up, timeout=SETTLE_SECONDS, message="a backlog")
    services = {
        s["name"]: s
        for s in admin.get("/console/1/services", params={"window": 3600}).json()["items"]
    }
    route = ("POST", "/product/1/products")
    posts = [
        r for r in services["product"]["activity"]["routes"] if (r["method"], r["route"]) == route
    ]
    posted_before = posts[0]["requests"] if posts else 0
    for _ in range(3):
        sku = "RATE-" + uuid.uuid4().hex[:6].upper()
        assert (
            admin.post("/product/1/products", json={"sku": sku, "name": "Rated"}).status_code == 201
        )

    def counted() -> tuple[dict[str, Any], dict[str, Any]] | None:
        if (shown := _product_created(admin)) is None:
            return None
        created, consumers = shown
        gained = [
            created["published"] - before["published"],
            *(consumers[n]["consumed"] - readers[n]["consumed"] for n in ("catalog", "search")),
        ]
        acked = consumers["catalog"]["lag"] == 0  # counted before acked: the lag drops after
        return (created, consumers) if gained == [3, 3, 3] and acked else None

    created, consumers = eventually_sync(counted, timeout=SETTLE_SECONDS, message="not counted")
    assert created["published_per_second"] == pytest.approx(created["published"] / 3600)
    assert consumers["catalog"]["lag"] == 0
    assert consumers["catalog"]["consumed_per_second"] > 0
    services = {
        s["name"]: s
        for s in admin.get("/console/1/services", params={"window": 3600}).json()["items"]
    }
    (posts,) = [
        r for r in services["product"]["activity"]["routes"] if (r["method"], r["route"]) == route
    ]
    assert posts["requests"] - posted_before == 3  # as product itself counted them


def _publish_as_product(platform: Platform, event: Event) -> None:
    """What a buggy product release would publish (with product's own NATS user)."""
    state = RunState.load(platform.data_dir)
    assert state is not None
    passwords = json.loads((platform.data_dir / "secrets" / "nats-users.json").read_text())

    async def publish() -> None:
        connection = await nats.connect(
            state.nats_url,
            user="product",
            password=passwords["product"],
            inbox_prefix="_INBOX.product",
        )
        try:
            await connection.jetstream().publish(
                event.nats_subject, event.to_json(), headers={"Nats-Msg-Id": event.id}
            )
        finally:
            await connection.close()

    asyncio.run(publish())


def test_a_poison_event_lands_in_dead_letters_and_its_corrected_retry_is_applied_once(
    platform: Platform, admin: httpx.Client, guest: httpx.Client
) -> None:
    sku = "POISON-" + uuid.uuid4().hex[:6].upper()
    poison = Event(
        type="product.created.v1", subject=sku, sequence=1, data={"sku": sku}, source="/product"
    )
    _publish_as_product(platform, poison)

    def dead_letter() -> dict[str, Any] | None:
        items = admin.get("/console/1/dead-letters").json()["items"]
        return next(  # search dead-letters it too, on its own: the catalog's letter is retried
            (
                d
                for d in items
                if d["event"] and d["event"]["id"] == poison.id and d["consumer"] == "catalog"
            ),
            None,
        )

    letter = eventually_sync(dead_letter, timeout=SETTLE_SECONDS, message="never dead-lettered")
    assert letter["consumer"] == "catalog"
    assert "name" in letter["error"]  # the validation error names the missing field
    assert letter["subject"] == "bazaar.product.created"

    fixed = {"sku": sku, "name": "Fixed after poison", "description": "", "status": "active"}
    retried = admin.post(
        f"/console/1/dead-letters/{letter['sequence']}/retry", json={"data": fixed}
    )
    assert retried.status_code == 200, retried.text
    eventually_sync(
        lambda: guest.get(f"/catalog/1/products/{sku}").status_code == 200,
        timeout=SETTLE_SECONDS,
        message="the catalog never applied the corrected event",
    )
    assert guest.get(f"/catalog/1/products/{sku}").json()["name"] == "Fixed after poison"
    again = admin.post(f"/console/1/dead-letters/{letter['sequence']}/retry")
    assert again.status_code == 404  # gone from dead letters: it cannot be applied twice
    assert dead_letter() is None


def _checkout_trace(shopper: httpx.Client, admin: httpx.Client) -> dict[str, Any]:
    """A checkout through the public API, and its trace once it holds five services."""
    item = a_coffee_in_stock(shopper, at_least=1)
    cart_id = a_cart_with(shopper, item["sku"], 1)
    order = settled(shopper, place_order(shopper, cart_id, GOOD_CARD)["id"])

    def checkout_trace() -> dict[str, Any] | None:
        found = admin.get("/console/1/traces", params={"q": order["id"]}).json()["items"]
        for summary in sorted(found, key=lambda t: -t["services"]):
            trace: dict[str, Any] = admin.get(f"/console/1/traces/{summary['trace_id']}").json()
            if (
                any(s["name"] == "POST /order/1/orders" for s in trace["spans"])
                and len(trace["services"]) >= 5
                and {"gateway", "order", "inventory"} <= set(trace["services"])
            ):
                return {**trace, "order_id": order["id"]}
        return None

    return eventually_sync(
        checkout_trace, timeout=SETTLE_SECONDS, message="no checkout trace across five services"
    )


def _shoot(page: Page, name: str, selector: str | None = None) -> None:
    """With BAZAAR_CONSOLE_SCREENSHOTS set: the page, or one of its tables, as a PNG there."""
    if not CONSOLE_SCREENSHOTS:
        return
    path = Path(CONSOLE_SCREENSHOTS) / f"console-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if selector is None:
        page.screenshot(path=str(path), full_page=True)
    else:
        page.locator(selector).screenshot(path=str(path))


def _sign_in_page(page: Page, gateway: str, email: str) -> None:
    page.goto(f"{gateway}/console/")  # no session yet: the sign-in form
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    _shoot(page, "sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("bazaar-demo")
    page.get_by_role("button", name="Sign in").click()


def test_an_operator_signs_in_sees_every_service_and_follows_a_checkout_across_the_bus(
    platform: Platform, shopper: httpx.Client, admin: httpx.Client
) -> None:
    trace = _checkout_trace(shopper, admin)
    assert "consumer" in {s["kind"] for s in trace["spans"]}  # the trace crossed the bus
    assert all(s["release"] for s in trace["spans"])
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=DESKTOP)
        _sign_in_page(page, platform.gateway, "shopper@bazaar.test")
        expect(page.get_by_role("alert")).to_contain_text("may not open the console")
        _sign_in_page(page, platform.gateway, "admin@bazaar.test")
        expect(page).to_have_url(re.compile(r"/console/1/ui$"))
        listed = page.locator("#services tr td:first-child").all_inner_texts()
        assert {c.name for c in BUS_SERVICES} <= set(listed), listed
        for table in ("services", "slo", "events", "dead-letters"):
            _shoot(page, table, f"#{table}")

        page.get_by_placeholder("trace id, request id, order id or SKU").fill(trace["order_id"])
        page.get_by_role("button", name="Find traces").click()
        page.get_by_role("link", name=trace["trace_id"]).click()
        spans = page.locator("#waterfall tr.span")
        expect(spans.nth(len(trace["spans"]) - 1)).to_be_visible()  # late spans may add rows
        seen = {row.get_attribute("data-service") for row in spans.all()}
        assert "gateway" in seen, seen
        assert len(seen) >= 5, seen
        releases = {s["service"]: s["release"] for s in trace["spans"]}
        for cell in spans.locator("td:first-child").all_inner_texts():
            service, _, shown = cell.partition(" ")
            assert shown.strip(), f"no release shown for {cell!r}"
            assert releases.get(service, "") in shown, cell
        _shoot(page, "trace")
        # the cookie opens UI pages only: the API and every change still need a bearer token
        gateway = platform.gateway
        assert page.request.get(f"{gateway}/console/1/services").status in (401, 403)
        assert page.request.post(f"{gateway}/console/1/dead-letters/retry").status in (401, 403)

        page.goto(f"{platform.gateway}/console/sign-out")
        page.get_by_role("button", name="Sign out").click()
        page.goto(f"{platform.gateway}/console/1/ui")
        expect(page).to_have_url(re.compile(r"/console/sign-in$"))
        browser.close()
