"""The shopper's own pages: sign-in (merging the guest cart), sign-out, the account with its
notices, the order history, and an order whose status follows the checkout choreography."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bazaar_storefront import web as site
from bazaar_storefront.cart_pages import recall_notices
from bazaar_storefront.gateway_api import attempt

FINAL_STATUSES = frozenset({"confirmed", "complete", "cancelled"})


def _needs_sign_in(request: web.Request) -> web.Response | None:
    if site.session_of(request).signed_in:
        return None
    return site.redirect("/shop/sign-in?next=" + quote(request.path, safe=""))


async def sign_in_form(request: web.Request) -> web.Response:
    return site.render(
        request, "sign_in.html", next=site.local_path(request.query.get("next")), error=None
    )


async def sign_in(request: web.Request) -> web.Response:
    session = site.session_of(request)
    form = await request.post()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    after = site.local_path(str(form.get("next", "")))
    reply = await attempt(request.app[site.API].client().sign_in(email, password))
    if reply.value is None:
        return site.render(
            request,
            "sign_in.html",
            status=401 if reply.status == 401 else 503,
            next=after,
            error=reply.detail,
            email=email,
        )
    guest_cart, guest_token = session.cart_id, session.cart_token
    session.token, session.email = reply.value, email
    session.cart_id = session.cart_token = None
    if guest_cart and guest_token:  # the guest's cart joins the shopper's own
        merged = await attempt(site.api(request).merge_cart(guest_cart, guest_token=guest_token))
        if merged.value is not None:
            session.cart_id = merged.value.id
            session.say(
                "Signed in. The items you added as a guest are in your cart.", kind="success"
            )
            return site.redirect(after)
        session.say(
            f"Signed in, but your guest cart could not be kept: {merged.detail}", kind="error"
        )
        return site.redirect(after)
    session.say(f"Signed in as {email}.", kind="success")
    return site.redirect(after)


async def sign_out(request: web.Request) -> web.Response:
    session = site.session_of(request)
    if session.signed_in:  # the token dies at identity too, not only in this cookie
        await attempt(site.api(request).sign_out())
    session.sign_out()
    session.say("You are signed out.")
    return site.redirect("/")


async def account(request: web.Request) -> web.Response:
    if needed := _needs_sign_in(request):
        return needed
    session = site.session_of(request)
    profile = await attempt(site.api(request).me())
    if expired := site.signed_out_by_gateway(request, profile):
        return expired
    messages = await attempt(site.api(request).messages())
    notices: list[str] = []
    if session.cart_id:  # a product in the shopper's cart recalled since it was added
        cart = await attempt(site.api(request).get_cart(session.cart_id))
        notices = await recall_notices(request, cart.body) if cart.ok else []
    return site.render(
        request,
        "account.html",
        profile=profile.body if profile.ok else None,
        messages=messages.body.get("items", []) if messages.ok else [],
        notices=notices,
    )


async def orders(request: web.Request) -> web.Response:
    if needed := _needs_sign_in(request):
        return needed
    reply = await attempt(site.api(request).orders())
    if expired := site.signed_out_by_gateway(request, reply):
        return expired
    return site.render(
        request,
        "orders.html",
        orders=reply.body.get("items", []) if reply.ok else [],
        unavailable=not reply.ok,
    )


async def _order(request: web.Request) -> tuple[dict[str, object] | None, web.Response | None]:
    if needed := _needs_sign_in(request):
        return None, needed
    order_id = request.match_info["order_id"]
    reply = await attempt(site.api(request).get_order(order_id))
    if expired := site.signed_out_by_gateway(request, reply):
        return None, expired
    if not reply.ok:
        return None, site.render(
            request,
            "error.html",
            status=404 if reply.status == 404 else 503,
            title="Order not found",
            message=reply.detail,
        )
    return reply.body, None


async def order(request: web.Request) -> web.Response:
    found, refused = await _order(request)
    if refused is not None:
        return refused
    assert found is not None
    return site.render(
        request, "order.html", order=found, final=found.get("status") in FINAL_STATUSES
    )


async def order_status(request: web.Request) -> web.Response:
    """The status panel alone: what the order page's script fetches until the order settles."""
    found, refused = await _order(request)
    if refused is not None:
        return refused
    assert found is not None
    final = found.get("status") in FINAL_STATUSES
    response = site.render(request, "_order_status.html", order=found, final=final)
    response.headers["Bazaar-Order-Final"] = "true" if final else "false"
    return response
