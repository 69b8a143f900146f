"""The cart and checkout: lines, quantities, discount codes, recall notices, and placing the
order with a card — each step one public cart or order call with the shopper's own token."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bazaar_client.models.cart import CartCreated, CartOut
from bazaar_storefront.gateway_api import Reply, attempt
from bazaar_storefront.web import (
    api,
    local_path,
    redirect,
    render,
    session_of,
    signed_out_by_gateway,
)

TEST_CARDS = (
    ("4242424242424242", "succeeds"),
    ("4000000000000002", "is declined"),
)


async def _field(request: web.Request, name: str) -> str:
    value = (await request.post()).get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def _open_cart(request: web.Request) -> Reply[CartOut | CartCreated]:
    """The session's cart; else the shopper's active one (or a new one) from the cart API."""
    session = session_of(request)
    if session.cart_id:
        reply = await attempt(api(request).get_cart(session.cart_id))
        if reply.value is not None and reply.value.state == "active":
            return reply
        session.cart_id = session.cart_token = None  # ordered, merged or gone: start again
    created = await attempt(api(request).create_cart())
    if created.value is not None:
        session.cart_id = created.value.id
        session.cart_token = created.value.cart_token or None
    return created


async def recall_notices(request: web.Request, cart: dict[str, Any]) -> list[str]:
    """Lines the cart removed because of a recall (the cart says why), and lines whose product
    the catalog no longer offers (discontinued since it was added)."""
    removed = [
        f"{n['name']} ({n['sku']}) has been recalled and was removed from your cart: {n['reason']}"
        for n in cart.get("notices", [])
    ]
    return removed + await _unavailable(request, cart.get("lines", []))


async def _unavailable(request: web.Request, lines: list[dict[str, Any]]) -> list[str]:
    client = api(request)
    replies = await asyncio.gather(
        *(attempt(client.catalog_product(line["sku"])) for line in lines)
    )
    notices = []
    for line, reply in zip(lines, replies, strict=True):
        status = reply.body.get("product_status") if reply.status == 404 else None
        if status:
            notices.append(
                f"{line['name']} ({line['sku']}) has been {status} and can no longer be "
                "ordered: please remove it from your cart."
            )
    return notices


async def cart(request: web.Request) -> web.Response:
    session = session_of(request)
    if not session.cart_id and not session.signed_in:
        return render(request, "cart.html", cart=None, notices=[])
    reply = await _open_cart(request)
    if expired := signed_out_by_gateway(request, reply):
        return expired
    if not reply.ok:
        return render(
            request, "error.html", status=503, title="Cart unavailable", message=reply.detail
        )
    notices = list(reply.body.get("messages", []))
    notices += await recall_notices(request, reply.body)
    return render(request, "cart.html", cart=reply.body, notices=notices)


async def add_item(request: web.Request) -> web.Response:
    session = session_of(request)
    sku = await _field(request, "sku")
    quantity_text = await _field(request, "quantity") or "1"
    back = local_path(await _field(request, "next"), "/shop/cart")
    if not quantity_text.isdecimal() or int(quantity_text) < 1:
        session.say("Quantity must be a whole number of at least 1.", kind="error")
        return redirect(back)
    opened = await _open_cart(request)
    if expired := signed_out_by_gateway(request, opened):
        return expired
    if not opened.ok:
        session.say(f"Your cart cannot be opened now: {opened.detail}", kind="error")
        return redirect(back)
    assert session.cart_id is not None  # opened above
    reply = await attempt(
        api(request).add_item(session.cart_id, sku=sku, quantity=int(quantity_text))
    )
    if reply.ok:
        session.say(f"Added {quantity_text} of {sku} to your cart.", kind="success")
        return redirect("/shop/cart")
    if "available" in reply.body:
        available = int(reply.body["available"])
        session.say(
            f"Not enough stock for {sku}: only {available} available "
            f"(you asked for {quantity_text}).",
            kind="error",
        )
    else:
        session.say(f"{sku} could not be added: {reply.detail}", kind="error")
    return redirect(back)


async def update_item(request: web.Request) -> web.Response:
    session = session_of(request)
    sku = request.match_info["sku"]
    quantity_text = await _field(request, "quantity")
    if not session.cart_id:
        return redirect("/shop/cart")
    if quantity_text == "0" or await _field(request, "remove"):
        reply = await attempt(api(request).remove_item(session.cart_id, sku=sku))
    elif quantity_text.isdecimal():
        change = api(request).change_item(session.cart_id, sku=sku, quantity=int(quantity_text))
        reply = await attempt(change)
    else:
        session.say("Quantity must be a whole number.", kind="error")
        return redirect("/shop/cart")
    if expired := signed_out_by_gateway(request, reply):
        return expired
    if not reply.ok:
        available = reply.body.get("available")
        detail = f"only {available} available" if available is not None else reply.detail
        session.say(f"{sku} could not be changed: {detail}", kind="error")
    return redirect("/shop/cart")


async def apply_code(request: web.Request) -> web.Response:
    session = session_of(request)
    code = await _field(request, "code")
    if not session.cart_id or not code:
        session.say("Add something to your cart, then enter a code.", kind="error")
        return redirect("/shop/cart")
    reply = await attempt(api(request).apply_code(session.cart_id, code=code))
    if expired := signed_out_by_gateway(request, reply):
        return expired
    if reply.ok:
        session.say(f"Discount code {code} applied.", kind="success")
    else:
        session.say(f"Code {code} was not accepted: {reply.detail}", kind="error")
    return redirect("/shop/cart")


async def checkout_form(request: web.Request) -> web.Response:
    session = session_of(request)
    if not session.signed_in:
        session.say("Sign in to check out: your cart comes with you.")
        return redirect("/shop/sign-in?next=/shop/checkout")
    reply = await _open_cart(request)
    if expired := signed_out_by_gateway(request, reply):
        return expired
    if not reply.ok or not reply.body.get("lines"):
        session.say("Your cart is empty.", kind="error")
        return redirect("/shop/cart")
    return render(request, "checkout.html", cart=reply.body, cards=TEST_CARDS)


async def place_order(request: web.Request) -> web.Response:
    session = session_of(request)
    card = (await _field(request, "card_number")).replace(" ", "")
    if not session.signed_in or not session.cart_id:
        return redirect("/shop/checkout")
    reply = await attempt(
        api(request).place_order(
            cart_id=session.cart_id,
            card_number=card,
            idempotency_key=session.cart_id,  # a double submit is the same order
        )
    )
    if expired := signed_out_by_gateway(request, reply):
        return expired
    if reply.value is None:
        session.say(f"The order could not be placed: {reply.detail}", kind="error")
        return redirect("/shop/checkout")
    session.cart_id = session.cart_token = None
    return redirect(f"/shop/orders/{quote(reply.value.id, safe='')}")
