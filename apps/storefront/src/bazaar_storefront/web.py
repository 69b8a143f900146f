"""What every page handler shares: the shopper's session, the gateway client, rendering and
redirects, and the session middleware that checks each form's CSRF token and re-signs the cookie."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bazaar_client import BazaarClient
from bazaar_storefront.gateway_api import GatewayApi, Reply
from bazaar_storefront.session import COOKIE, MAX_AGE_SECONDS, Session, SessionCodec

API = web.AppKey("api", GatewayApi)
CODEC = web.AppKey("codec", SessionCodec)
TEMPLATES = web.AppKey("templates", Environment)
SECURE_COOKIE = web.AppKey("secure_cookie", bool)
SESSION = web.RequestKey("session", Session)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def money(value: dict[str, Any] | None) -> str:
    """`{"amount": 1250, "currency": "USD"}` → `$12.50`; other currencies keep their code."""
    if not value:
        return "—"
    amount = int(value.get("amount", 0)) / 100
    currency = value.get("currency", "USD")
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def session_of(request: web.Request) -> Session:
    return request[SESSION]


def api(request: web.Request) -> BazaarClient:
    """The typed public API client, as this request's shopper."""
    return request.app[API].client(session_of(request))


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    session = session_of(request)
    html = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(session=session, flash=session.take_flash(), path=request.path, **context)
    )
    return web.Response(status=status, text=html, content_type="text/html")


def redirect(location: str) -> web.Response:
    """303 See Other: after a form, the browser GETs the next page (no resubmission)."""
    return web.Response(status=303, headers={"Location": location})


def signed_out_by_gateway(request: web.Request, reply: Reply[Any]) -> web.Response | None:
    """A 401 means the shopper's token expired or was revoked: sign them out, ask again."""
    if reply.status != 401 or not session_of(request).signed_in:
        return None
    session = session_of(request)
    session.sign_out()
    session.say("Your session has expired: please sign in again.", kind="error")
    return redirect("/shop/sign-in?next=" + quote(request.path, safe=""))


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site may be a `next` target (never `//elsewhere` or a URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


@web.middleware
async def sessions(request: web.Request, handler: Any) -> web.StreamResponse:
    codec = request.app[CODEC]
    session = codec.load(request.cookies.get(COOKIE)) or Session()
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        sent = form.get("csrf")
        if not session.csrf_ok(sent if isinstance(sent, str) else None):
            response: web.StreamResponse = render(
                request,
                "error.html",
                status=403,
                title="Form expired",
                message="This form has expired or did not come from this shop. "
                "Go back, reload the page and try again.",
            )
        else:
            response = await handler(request)
    else:
        response = await handler(request)
    if not request.path.startswith("/shop/static/"):
        response.set_cookie(
            COOKIE,
            codec.dump(session),
            max_age=MAX_AGE_SECONDS,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.app[SECURE_COOKIE],
        )
        response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response
