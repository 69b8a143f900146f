"""`bazaar shop`: a terminal storefront, the second channel on the same public API (M11).

It browses, searches, fills a cart and checks out with exactly the gateway calls the web
storefront makes (the same `GatewayApi` client), with the shopper's own token and nothing else.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table

from bazaar_storefront.gateway_api import GatewayApi, Reply
from bazaar_storefront.session import Session
from bazaar_storefront.web import money

T = TypeVar("T")
SETTLE_SECONDS = 60.0
FINAL = ("confirmed", "complete", "cancelled")


class TerminalShop:
    """One shopper's session in the terminal: a menu loop over browse, search, cart, pay."""

    def __init__(self, *, gateway_url: str, console: Console) -> None:
        self.console = console
        self.gateway_url = gateway_url
        self.shopper = Session()
        self._loop = asyncio.new_event_loop()
        self._http: aiohttp.ClientSession | None = None

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(work)

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        if self._http is None:
            self._http = self._run(self._open())
        api = GatewayApi(self._http, self.gateway_url)
        return self._run(api.call(method, path, shopper=self.shopper, **kwargs))

    async def _open(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))

    def close(self) -> None:
        if self._http is not None:
            self._run(self._http.close())
        self._loop.close()

    def ask(self, question: str, *, default: str = "", secret: bool = False) -> str:
        # a password is hidden on a terminal; scripted input (a pipe) is read as a plain line
        hidden = secret and sys.stdin.isatty()
        answer = Prompt.ask(
            question,
            console=self.console,
            default=default,
            password=hidden,
            show_default=bool(default),
        )
        return answer.strip()

    # --- the menu ---------------------------------------------------------------------------

    def run(self) -> None:
        self.console.print(f"[bold]Bazaar shop[/] — {self.gateway_url} (Ctrl-D to leave)")
        try:
            while True:
                choice = self.ask(
                    "browse (b), search (s), cart (c) or quit (q)", default="b"
                ).lower()
                if choice.startswith("q"):
                    return
                action = {"b": self.browse, "s": self.search, "c": self.cart}.get(choice[:1])
                if action is not None:
                    action()
        except EOFError:
            return
        finally:
            self.close()

    def browse(self) -> None:
        reply = self.call("GET", "/catalog/1/categories")
        if not reply.ok:
            self.console.print(f"[red]catalog unavailable:[/] {reply.detail}")
            return
        table = Table("category", "name", title="Categories")
        for category in reply.body.get("items", []):
            table.add_row(category["key"], category["name"])
        self.console.print(table)
        key = self.ask("Category")
        if not key:
            return
        page = self.call(
            "GET", f"/catalog/1/categories/{quote(key, safe='')}/products", params={"limit": "50"}
        )
        if not page.ok:
            self.console.print(f"[red]{page.detail}[/]")
            return
        self.show_items(page.body.get("items", []), title=page.body["category"]["name"])
        self.add_from_prompt()

    def search(self) -> None:
        query = self.ask("Search for")
        reply = self.call("GET", "/search/1/products", params={"q": query, "limit": "20"})
        if not reply.ok:
            self.console.print("[yellow]Search is unavailable right now; try browsing.[/]")
            return
        self.show_items(reply.body.get("items", []), title=f"Results for “{query}”")
        self.add_from_prompt()

    def show_items(self, items: list[dict[str, Any]], *, title: str) -> None:
        table = Table("sku", "name", "price", "available", title=title)
        for item in items:
            table.add_row(
                item["sku"], item["name"], money(item.get("price")), str(item.get("available", ""))
            )
        self.console.print(table)

    def add_from_prompt(self) -> None:
        sku = self.ask("SKU to add (empty: back)")
        if not sku:
            return
        quantity = self.ask("Quantity", default="1")
        if not self.cart_id():
            return
        reply = self.call(
            "POST",
            f"/cart/1/carts/{self.shopper.cart_id}/items",
            json={"sku": sku, "quantity": int(quantity or "1")},
        )
        if reply.ok:
            self.console.print(f"[green]added[/] {quantity} of {sku}")
        elif "available" in reply.body:
            self.console.print(
                f"[red]not enough stock:[/] only {reply.body['available']} of {sku} available"
            )
        else:
            self.console.print(f"[red]{sku} not added:[/] {reply.detail}")

    # --- cart and checkout ------------------------------------------------------------------

    def cart_id(self) -> str | None:
        if self.shopper.cart_id is None:
            reply = self.call("POST", "/cart/1/carts")
            if not reply.ok:
                self.console.print(f"[red]no cart:[/] {reply.detail}")
                return None
            self.shopper.cart_id = str(reply.body["id"])
            self.shopper.cart_token = reply.body.get("cart_token") or None
        return self.shopper.cart_id

    def cart(self) -> None:
        if self.cart_id() is None:
            return
        reply = self.call("GET", f"/cart/1/carts/{self.shopper.cart_id}")
        if not reply.ok:
            self.console.print(f"[red]{reply.detail}[/]")
            return
        table = Table("sku", "name", "qty", "total", title="Your cart")
        for line in reply.body.get("lines", []):
            table.add_row(
                line["sku"], line["name"], str(line["quantity"]), money(line["line_total"])
            )
        self.console.print(table)
        for discount in reply.body.get("discounts", []):
            self.console.print(
                f"  {discount.get('description') or discount.get('code')}: "
                f"-{money(discount['amount'])}"
            )
        self.console.print(f"  [bold]total {money(reply.body.get('total'))}[/]")
        choice = self.ask("discount code (d), pay (p), or Enter to go back").lower()
        if choice.startswith("d"):
            code = self.ask("Code")
            added = self.call(
                "POST", f"/cart/1/carts/{self.shopper.cart_id}/discount-codes", json={"code": code}
            )
            said = "[green]applied[/]" if added.ok else f"[red]refused:[/] {added.detail}"
            self.console.print(f"code {code} {said}")
        elif choice.startswith("p"):
            self.pay()

    def sign_in(self) -> bool:
        email = self.ask("Email")
        password = self.ask("Password", secret=True)
        reply = self.call(
            "POST",
            "/identity/1/token",
            form={"grant_type": "password", "username": email, "password": password},
        )
        if not reply.ok:
            self.console.print(f"[red]sign-in failed:[/] {reply.detail}")
            return False
        guest_cart, guest_token = self.shopper.cart_id, self.shopper.cart_token
        self.shopper.token, self.shopper.email = str(reply.body["access_token"]), email
        self.shopper.cart_id = self.shopper.cart_token = None
        if guest_cart and guest_token:  # the guest cart joins the shopper's own
            merged = self.call(
                "POST",
                f"/cart/1/carts/{guest_cart}/merge",
                headers={"Bazaar-Cart-Token": guest_token},
            )
            if merged.ok:
                self.shopper.cart_id = str(merged.body["id"])
        self.console.print(f"signed in as {email}")
        return True

    def pay(self) -> None:
        if not self.shopper.signed_in and not self.sign_in():
            return
        cart_id = self.cart_id()
        card = self.ask("Card number (4242424242424242 succeeds)").replace(" ", "")
        placed = self.call(
            "POST",
            "/order/1/orders",
            headers={"Idempotency-Key": str(cart_id)},
            json={"cart_id": cart_id, "payment": {"card_number": card}},
        )
        if not placed.ok:
            self.console.print(f"[red]order refused:[/] {placed.detail}")
            return
        self.shopper.cart_id = None
        order_id = str(placed.body["id"])
        self.console.print(f"order {order_id} placed; waiting for it to settle…")
        deadline = time.monotonic() + SETTLE_SECONDS
        order = placed.body
        while order.get("status") not in FINAL and time.monotonic() < deadline:
            time.sleep(0.5)
            reply = self.call("GET", f"/order/1/orders/{order_id}")
            order = reply.body if reply.ok else order
        reason = f" ({order['reason']})" if order.get("reason") else ""
        self.console.print(
            f"order {order_id}: [bold]{order.get('status')}[/], payment "
            f"{order.get('payment_status')}{reason}"
        )
