"""`bazaar shop`: a terminal storefront, the second channel on the same public API (M11).

It browses, searches, fills a cart and checks out with exactly the calls the web storefront
makes (the same typed `bazaar_client`, through `GatewayApi`), with the shopper's own token only.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import aiohttp
from rich.console import Console
from rich.prompt import Prompt
from rich.table import Table

from bazaar_client import BazaarClient
from bazaar_storefront.gateway_api import GatewayApi, Reply, attempt
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

    def call(self, work: Callable[[BazaarClient], Awaitable[T]]) -> Reply[T]:
        """One public call as this shopper, with the typed client."""
        if self._http is None:
            self._http = self._run(self._open())
        client = GatewayApi(self._http, self.gateway_url).client(self.shopper)
        return self._run(attempt(work(client)))

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
        reply = self.call(lambda api: api.categories())
        if reply.value is None:
            self.console.print(f"[red]catalog unavailable:[/] {reply.detail}")
            return
        table = Table("category", "name", title="Categories")
        for category in reply.value.items:
            table.add_row(category.key, category.name)
        self.console.print(table)
        key = self.ask("Category")
        if not key:
            return
        page = self.call(lambda api: api.category_page(key, limit=50))
        if page.value is None:
            self.console.print(f"[red]{page.detail}[/]")
            return
        self.show_items(page.body["items"], title=page.value.category.name)
        self.add_from_prompt()

    def search(self) -> None:
        query = self.ask("Search for")
        reply = self.call(lambda api: api.search_products(query, limit=20))
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
        cart_id, count = self.cart_id(), int(quantity or "1")
        if not cart_id:
            return
        reply = self.call(lambda api: api.add_item(cart_id, sku=sku, quantity=count))
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
            reply = self.call(lambda api: api.create_cart())
            if reply.value is None:
                self.console.print(f"[red]no cart:[/] {reply.detail}")
                return None
            self.shopper.cart_id = reply.value.id
            self.shopper.cart_token = reply.value.cart_token or None
        return self.shopper.cart_id

    def cart(self) -> None:
        cart_id = self.cart_id()
        if cart_id is None:
            return
        reply = self.call(lambda api: api.get_cart(cart_id))
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
            added = self.call(lambda api: api.apply_code(cart_id, code=code))
            said = "[green]applied[/]" if added.ok else f"[red]refused:[/] {added.detail}"
            self.console.print(f"code {code} {said}")
        elif choice.startswith("p"):
            self.pay()

    def sign_in(self) -> bool:
        email = self.ask("Email")
        password = self.ask("Password", secret=True)
        reply = self.call(lambda api: api.sign_in(email, password))
        if reply.value is None:
            self.console.print(f"[red]sign-in failed:[/] {reply.detail}")
            return False
        guest_cart, guest_token = self.shopper.cart_id, self.shopper.cart_token
        self.shopper.token, self.shopper.email = reply.value, email
        self.shopper.cart_id = self.shopper.cart_token = None
        if guest_cart and guest_token:  # the guest cart joins the shopper's own
            merged = self.call(lambda api: api.merge_cart(guest_cart, guest_token=guest_token))
            if merged.value is not None:
                self.shopper.cart_id = merged.value.id
        self.console.print(f"signed in as {email}")
        return True

    def pay(self) -> None:
        if not self.shopper.signed_in and not self.sign_in():
            return
        cart_id = self.cart_id()
        card = self.ask("Card number (4242424242424242 succeeds)").replace(" ", "")
        if cart_id is None:
            return
        placed = self.call(
            lambda api: api.place_order(cart_id=cart_id, card_number=card, idempotency_key=cart_id)
        )
        if placed.value is None:
            self.console.print(f"[red]order refused:[/] {placed.detail}")
            return
        self.shopper.cart_id = None
        order_id = placed.value.id
        self.console.print(f"order {order_id} placed; waiting for it to settle…")
        deadline = time.monotonic() + SETTLE_SECONDS
        order = placed.body
        while order.get("status") not in FINAL and time.monotonic() < deadline:
            time.sleep(0.5)
            reply = self.call(lambda api: api.get_order(order_id))
            order = reply.body if reply.ok else order
        reason = f" ({order['reason']})" if order.get("reason") else ""
        self.console.print(
            f"order {order_id}: [bold]{order.get('status')}[/], payment "
            f"{order.get('payment_status')}{reason}"
        )
