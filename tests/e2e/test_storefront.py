"""The storefront in a real browser (Debian's Chromium) on one real `bazaar up`: a shopper buys
through web pages that call only the public API, and the pages pass an axe-core audit.

Each test makes its own shopper account (through the admin API), so carts never mix.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bazaar_chassis.testing import eventually_sync

from .conftest import BAZAAR, Platform, sign_in
from .storefront_browser import (
    DESKTOP,
    PASSWORD,
    PHONE,
    add_to_cart,
    launch,
    new_shopper,
    screenshot,
    serious_violations,
)
from .storefront_browser import sign_in as sign_in_page

pytestmark = pytest.mark.e2e

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
SETTLE_MS = 30_000
# true once the type-ahead's <datalist> (by id) offers the product name
SUGGESTED = (
    "([list, name]) => [...document.getElementById(list).options].some(o => o.value === name)"
)


def api_client(platform: Platform, username: str) -> httpx.Client:
    token = sign_in(platform.gateway, username)
    return httpx.Client(
        base_url=platform.gateway, timeout=15, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture(scope="module")
def admin(platform: Platform) -> Iterator[httpx.Client]:
    with api_client(platform, "admin@bazaar.test") as client:
        yield client


@pytest.fixture(scope="module")
def merch(platform: Platform) -> Iterator[httpx.Client]:
    with api_client(platform, "merch@bazaar.test") as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, platform: Platform) -> Iterator[Page]:
    # bypass_csp: the storefront's CSP (rightly) refuses the injected axe-core script
    context = browser.new_context(base_url=platform.gateway, viewport=DESKTOP, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def a_coffee_with_stock(merch: httpx.Client, quantity: int) -> str:
    """A coffee on the category's first page, its stock set to exactly `quantity`."""
    page = merch.get("/catalog/1/categories/coffee/products?limit=12").json()
    sku = str(page["items"][uuid.uuid4().int % len(page["items"])]["sku"])
    reply = merch.put(f"/inventory/1/stock/{sku}", json={"quantity": quantity})
    assert reply.status_code == 200, reply.text
    return sku


@pytest.fixture
def buyer(admin: httpx.Client, merch: httpx.Client) -> tuple[str, str]:
    """A new shopper's email, and a coffee with plenty of stock for them."""
    return new_shopper(admin), a_coffee_with_stock(merch, 50)


def checkout(page: Page, card: str) -> None:
    page.goto("/shop/checkout")
    page.get_by_label("Card number").fill(card)
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/shop/orders/*")


def test_a_shopper_browses_searches_adds_uses_a_code_pays_and_the_order_confirms_without_reload(
    page: Page, buyer: tuple[str, str]
) -> None:
    email, sku = buyer
    page.goto("/")
    page.get_by_role("link", name="Coffee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coffee")
    name = page.locator(f'li.product[data-sku="{sku}"] h2 a').inner_text()
    search_box = page.get_by_label("Search products")
    search_box.press_sequentially(name.split()[0], delay=30)  # type-ahead suggests the product
    page.wait_for_function(SUGGESTED, arg=["site-q-suggestions", name], timeout=SETTLE_MS)
    search_box.fill(name)
    search_box.press("Enter")
    expect(page.locator("h2#results")).to_contain_text(f"for “{name}”")
    filters = page.get_by_role("form", name="Search and filters")
    filters.get_by_label("In stock only").check()
    filters.get_by_role("button", name="Search").click()
    expect(page.get_by_label("In stock only")).to_be_checked()
    found = page.locator(f'li.product[data-sku="{sku}"]')
    expect(found.get_by_role("heading", level=3)).to_have_text(name)
    expect(found.locator(".stock")).to_contain_text("in stock")
    found.get_by_label("Quantity").fill("2")
    found.get_by_role("button", name="Add to cart").click()
    expect(page.locator(f'tr[data-sku="{sku}"]')).to_be_visible()
    page.get_by_label("Discount code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".flash.success")).to_contain_text("WELCOME10 applied")
    expect(page.locator("dd.discount")).to_be_visible()
    page.get_by_role("link", name="Check out").click()
    sign_in_page(page, email)  # checkout asks a guest to sign in, then comes back
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_label("Card number").fill(GOOD_CARD)
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/shop/orders/*")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    expect(page.locator(".order-status")).to_have_text("Confirmed", timeout=SETTLE_MS)
    expect(page.locator(".payment-status")).to_have_text("Paid")
    assert page.evaluate("window.__sameDocument === true"), "the order page reloaded"
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator("ul.orders li").first).to_contain_text("confirmed")


def test_a_declined_card_cancels_the_order_and_the_page_says_why(
    page: Page, buyer: tuple[str, str]
) -> None:
    email, sku = buyer
    page.goto("/shop/sign-in")
    sign_in_page(page, email)
    add_to_cart(page, sku=sku, quantity=1)
    checkout(page, DECLINED_CARD)
    expect(page.locator(".order-status")).to_have_text("Cancelled", timeout=SETTLE_MS)
    expect(page.locator(".reason")).to_contain_text("declined")


def test_an_item_beyond_the_stock_is_refused_at_add_to_cart_with_the_available_quantity(
    page: Page, merch: httpx.Client
) -> None:
    sku = a_coffee_with_stock(merch, 3)
    add_to_cart(page, sku=sku, quantity=5)
    expect(page.locator(".flash.error")).to_contain_text("only 3 available")
    page.goto("/shop/cart")
    expect(page.locator(f'tr[data-sku="{sku}"]')).to_have_count(0)


def test_a_guest_cart_joins_the_shoppers_cart_at_sign_in(
    page: Page, buyer: tuple[str, str]
) -> None:
    email, sku = buyer
    add_to_cart(page, sku=sku, quantity=2)  # as a guest
    expect(page.locator(f'tr[data-sku="{sku}"]')).to_be_visible()
    sign_in_page(page, email)
    expect(page.locator(".flash.success")).to_contain_text("added as a guest")
    page.goto("/shop/cart")
    expect(page.locator(f'tr[data-sku="{sku}"] input[name=quantity]')).to_have_value("2")


def test_a_recalled_product_vanishes_from_its_category_page_and_the_buyer_is_told(
    page: Page, admin: httpx.Client, merch: httpx.Client
) -> None:
    page.goto("/shop/sign-in")
    sign_in_page(page, new_shopper(admin))
    sku = f"REC-{uuid.uuid4().hex[:6].upper()}"
    name = f"Recall Test Tea {sku}"
    for method, path, body in (
        (
            "POST",
            "/product/1/products",
            {"sku": sku, "name": name, "description": "x", "attributes": {}},
        ),
        ("PUT", f"/pricing/1/prices/{sku}", {"amount": 900, "currency": "USD"}),
        ("PUT", f"/inventory/1/stock/{sku}", {"quantity": 10}),
        ("PUT", f"/category/1/categories/tea/products/{sku}", {"position": 0}),
    ):
        reply = merch.request(method, path, json=body)
        assert reply.status_code in (200, 201), reply.text

    def listed() -> bool:
        page.goto("/shop/categories/tea")
        return page.locator(f'li.product[data-sku="{sku}"]').count() == 1

    eventually_sync(listed, timeout=30, interval=0.5, message=f"{sku} never listed")
    add_to_cart(page, sku=sku, quantity=1)
    reply = merch.post(f"/product/1/products/{sku}/recall", json={"reason": "test recall"})
    assert reply.status_code in (200, 201, 202), reply.text

    def gone() -> bool:
        page.goto("/shop/categories/tea")
        return page.locator(f'li.product[data-sku="{sku}"]').count() == 0

    eventually_sync(gone, timeout=30, interval=0.5, message=f"{sku} still listed after recall")
    page.goto("/shop/cart")
    expect(page.locator(".notice")).to_contain_text(f"{sku}) has been recalled")
    page.goto("/shop/account")
    expect(page.locator(".notice.recall")).to_contain_text(f"{sku}) has been recalled")


def test_the_main_pages_have_no_serious_or_critical_accessibility_violations(
    page: Page, buyer: tuple[str, str]
) -> None:
    email, sku = buyer
    visited: dict[str, list[object]] = {}

    def audit(name: str, *, shoot: bool = True) -> None:
        if shoot:
            screenshot(page, name)
        visited[name] = list(serious_violations(page))

    page.goto("/")
    audit("home")
    page.goto("/shop/categories/coffee")
    audit("category")
    page.goto(f"/shop/products/{sku}")
    audit("product")
    page.goto("/shop/search?q=roast&in_stock=true")
    audit("search")
    page.goto("/shop/sign-in")
    audit("sign-in")
    sign_in_page(page, email)
    add_to_cart(page, sku=sku, quantity=1)
    page.get_by_label("Discount code").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    audit("cart")
    page.goto("/shop/checkout")
    audit("checkout")
    checkout(page, GOOD_CARD)
    expect(page.locator(".order-status")).to_have_text("Confirmed", timeout=SETTLE_MS)
    audit("order")
    page.goto("/shop/orders")
    audit("orders")
    page.goto("/shop/account")
    audit("account")
    page.set_viewport_size(PHONE)
    page.goto("/shop/categories/coffee")
    audit("category at phone width", shoot=False)
    failing = {name: found for name, found in visited.items() if found}
    assert not failing, failing


def test_the_terminal_shop_buys_with_a_code_and_a_good_card_through_the_public_api(
    platform: Platform, buyer: tuple[str, str]
) -> None:
    email, sku = buyer
    script = "\n".join(
        ["b", "coffee", sku, "2", "c", "d", "WELCOME10", "c", "p", email, PASSWORD, GOOD_CARD, "q"]
    )
    done = subprocess.run(
        [BAZAAR, "shop", "--gateway", platform.gateway],
        input=script + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout
    assert f"added 2 of {sku}" in said, said
    assert "code WELCOME10 applied" in said, said
    assert re.search(r"order [0-9a-f-]+: confirmed, payment paid", said), said
    orders = httpx.get(
        f"{platform.gateway}/order/1/orders",
        headers={"Authorization": f"Bearer {sign_in(platform.gateway, email, PASSWORD)}"},
    ).json()["items"]
    assert [o["status"] for o in orders] == ["confirmed"]
    assert orders[0]["discounts"], orders[0]


def test_the_gateway_serves_the_storefront_at_the_root_with_a_protected_session_cookie(
    platform: Platform,
) -> None:
    with httpx.Client(base_url=platform.gateway, timeout=15) as browser_like:
        home = browser_like.get("/")
        assert home.status_code == 200
        assert home.headers["content-type"].startswith("text/html")
        cookie = home.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert browser_like.get("/shop/static/shop.css").status_code == 200
        # a form posted from elsewhere carries no CSRF token: refused, nothing is added
        forged = browser_like.post("/shop/cart/items", data={"sku": "COF-001", "quantity": "1"})
        assert forged.status_code == 403
        # API routes stay the API's: the storefront does not shadow them
        assert browser_like.get("/catalog/1/categories").json()["items"]
