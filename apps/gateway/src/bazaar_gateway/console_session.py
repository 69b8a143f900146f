"""A browser session for the console: operators sign in with a form, and a signed HttpOnly,
SameSite=Strict cookie (path `/console`) carries their token to the console's UI pages.

The cookie stands in for the `Authorization` header on `GET /console/1/ui…` only, so a forged
cross-site request can change nothing; sign-in and sign-out forms carry a CSRF token. Sign-in
goes through identity's public token route (over this gateway, like any client); a user whom the
policy does not let open the console gets a refusal page and no session. Sign-out revokes the
token at identity. Sessions are signed with `BAZAAR_CONSOLE_SESSION_KEY`, or a key made at start.
"""

from __future__ import annotations

import html
import secrets
import time
from typing import Any

import aiohttp
from aiohttp import web

from bazaar_chassis.caller import Caller
from bazaar_chassis.errors import DomainError
from bazaar_gateway.forwarding import forward
from bazaar_gateway.state import GATEWAY, Gateway
from bazaar_platform.signed_cookie import SignedCookie

COOKIE = "bazaar_console"
UI = "/console/1/ui"
SIGN_IN = "/console/sign-in"
SIGN_OUT = "/console/sign-out"
MAX_AGE_SECONDS = 12 * 3600
CODEC = web.AppKey("console_cookie", SignedCookie)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:3rem auto;max-width:26rem;color:#222}}
label{{display:block;margin:.6rem 0}}input{{display:block;width:100%;padding:.3rem}}
.bad{{color:#b00020}}</style></head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, *, status: int = 200) -> web.Response:
    text = _PAGE.format(title=html.escape(title), body=body)
    return web.Response(
        status=status, text=text, content_type="text/html", headers={"Cache-Control": "no-store"}
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _fresh() -> dict[str, Any]:
    return {"csrf": secrets.token_urlsafe(24), "issued_at": time.time()}


def _session(request: web.Request) -> dict[str, Any]:
    return request.app[CODEC].load(request.cookies.get(COOKIE)) or _fresh()


def _keep(request: web.Request, response: web.Response, session: dict[str, Any]) -> web.Response:
    response.set_cookie(
        COOKIE,
        request.app[CODEC].dump(session),
        path="/console",
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


def _may_open(gateway: Gateway, caller: Caller, path: str) -> bool:
    policies = gateway.policies
    return (
        policies.loaded
        and policies.index.decide(
            roles=caller.roles, organization=caller.organization, method="GET", path=path
        ).allowed
    )


async def _identity(request: web.Request, path: str, **kwargs: Any) -> tuple[int, Any]:
    """POST to identity's public route through this gateway's own listening address."""
    host, port = request.transport.get_extra_info("sockname")[:2] if request.transport else ("", 0)
    host = f"[{host}]" if ":" in host else host
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as client,
        client.post(f"http://{host}:{port}{path}", **kwargs) as reply,
    ):
        body = await reply.json(content_type=None) if reply.status == 200 else None
        return reply.status, body


def _sign_in_form(session: dict[str, Any], *, said: str = "") -> str:
    warning = f'<p class="bad" role="alert">{html.escape(said)}</p>' if said else ""
    return f"""{warning}<p>The console is for operators and admins.</p>
<form method="post" action="{SIGN_IN}"><input type="hidden" name="csrf" value="{session["csrf"]}">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
required></label><button>Sign in</button></form>"""


async def sign_in_page(request: web.Request) -> web.Response:
    session = _session(request)
    if session.get("token"):
        return _redirect(UI)
    return _keep(request, _page("Sign in to the Bazaar console", _sign_in_form(session)), session)


async def sign_in(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    session = _session(request)
    form = await request.post()
    title = "Sign in to the Bazaar console"
    if not secrets.compare_digest(str(form.get("csrf", "")), session["csrf"]):
        said = "This form has expired; please sign in again."
        return _keep(request, _page(title, _sign_in_form(session, said=said), status=403), session)
    status, body = await _identity(
        request,
        "/identity/1/token",
        data={
            "grant_type": "password",
            "username": str(form.get("email", "")),
            "password": str(form.get("password", "")),
        },
    )
    if status != 200 or not isinstance(body, dict):
        said = "Wrong email or password." if status in (400, 401) else "Sign-in failed; retry."
        return _keep(request, _page(title, _sign_in_form(session, said=said), status=401), session)
    token = str(body["access_token"])
    caller = await gateway.admission.authenticator.caller(f"Bearer {token}")
    if not _may_open(gateway, caller, UI):
        await _identity(request, "/identity/1/logout", headers={"Authorization": f"Bearer {token}"})
        who = html.escape(caller.email or caller.subject)
        refusal = (
            f'<p class="bad" role="alert">{who} may not open the console: it is for '
            f'operators and admins only.</p><p><a href="{SIGN_IN}">Sign in as someone '
            "else</a></p>"
        )
        return _keep(request, _page("Not for you", refusal, status=403), _fresh())
    signed = {**_fresh(), "token": token, "email": caller.email or caller.subject}
    return _keep(request, _redirect(UI), signed)


async def sign_out_page(request: web.Request) -> web.Response:
    session = _session(request)
    if not session.get("token"):
        return _redirect(SIGN_IN)
    body = (
        f"<p>Signed in as {html.escape(str(session.get('email')))}.</p>"
        f'<form method="post" action="{SIGN_OUT}"><input type="hidden" name="csrf" '
        f'value="{session["csrf"]}"><button>Sign out</button></form>'
    )
    return _keep(request, _page("Sign out of the console", body), session)


async def sign_out(request: web.Request) -> web.Response:
    session = _session(request)
    form = await request.post()
    if not secrets.compare_digest(str(form.get("csrf", "")), session["csrf"]):
        return _redirect(SIGN_OUT)
    if token := session.get("token"):
        await _identity(request, "/identity/1/logout", headers={"Authorization": f"Bearer {token}"})
    return _keep(request, _redirect(SIGN_IN), _fresh())


async def console_ui(request: web.Request) -> web.StreamResponse:
    """A UI page: with a bearer token as any request; else the session's token, or sign-in."""
    if "Authorization" in request.headers:
        return await forward(request)
    gateway = request.app[GATEWAY]
    session = _session(request)
    token = session.get("token")
    if not token:
        return _redirect(SIGN_IN)
    try:
        caller = await gateway.admission.authenticator.caller(f"Bearer {token}")
    except DomainError:  # expired or revoked: sign in again
        return _keep(request, _redirect(SIGN_IN), _fresh())
    if not _may_open(gateway, caller, request.path):
        return _page(
            "Not for you", "<p>The console is for operators and admins only.</p>", status=403
        )
    headers = request.headers.copy()
    headers["Authorization"] = f"Bearer {token}"
    return await forward(request.clone(headers=headers))


def add_console_session_routes(app: web.Application, key: bytes) -> None:
    """The sign-in and sign-out pages and the UI's cookie route (before the catch-all)."""
    app[CODEC] = SignedCookie(key, max_age_seconds=MAX_AGE_SECONDS)
    app.router.add_get(SIGN_IN, sign_in_page)
    app.router.add_post(SIGN_IN, sign_in)
    app.router.add_get(SIGN_OUT, sign_out_page)
    app.router.add_post(SIGN_OUT, sign_out)
    app.router.add_get(UI + "{tail:(/.*)?}", console_ui)
