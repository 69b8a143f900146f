"""What the storefront's browser tests share: Debian's Chromium driven by Playwright (never a
downloaded browser), the axe-core audit, and the platform-side setup done through the public API.

`./scripts/test` installs Chromium with apt when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = Path(os.environ.get("BAZAAR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)
# Set to a folder (e.g. docs/screenshots) to write the main pages' screenshots there.
SCREENSHOTS = os.environ.get("BAZAAR_STOREFRONT_SCREENSHOTS")


def launch(playwright: Playwright) -> Browser:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `apt-get install -y chromium` (./scripts/test does it)"
    )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Page, name: str) -> None:
    """With BAZAAR_STOREFRONT_SCREENSHOTS set: the page at desktop and at phone width."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def new_shopper(admin: httpx.Client) -> str:
    """A fresh customer account (each test its own, so carts never mix); returns its email."""
    email = f"shopper-{uuid.uuid4().hex[:8]}@bazaar.test"
    reply = admin.post(
        "/identity/1/users",
        json={
            "email": email,
            "password": PASSWORD,
            "name": "Test Shopper",
            "organization": "public",
            "roles": ["customer"],
        },
    )
    assert reply.status_code == 201, reply.text
    return email


PASSWORD = "a-long-test-passphrase-42"


def sign_in(page: Page, email: str) -> None:
    """Sign in through the storefront's form (from wherever the page is)."""
    if "/shop/sign-in" not in page.url:
        page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Sign out")


def add_to_cart(page: Page, *, sku: str, quantity: int) -> None:
    """From a product page: set the quantity and add."""
    page.goto(f"/shop/products/{sku}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
