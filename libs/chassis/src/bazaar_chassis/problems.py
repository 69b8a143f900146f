"""RFC 9457 problem+json: the one place where errors become HTTP replies.

Clients get `type`, `title`, `status`, `detail` (and `instance` = the request id); they never see a
stack trace. Validation errors keep their field paths in `errors` so a form can point at the field.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bazaar_chassis.contract import PROBLEM_CONTENT_TYPE
from bazaar_chassis.database import is_passing
from bazaar_chassis.errors import DomainError

PROBLEM_BASE_URI = "https://bazaar.dev/problems/"

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_log = structlog.get_logger("bazaar.problems")


def problem_response(
    *,
    status: int,
    title: str,
    detail: str,
    slug: str,
    request: Request | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build one problem+json response; `slug` names the problem type."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE_URI + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None and (request_id := request.scope.get("bazaar.request_id")):
        body["instance"] = f"urn:request:{request_id}"
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _describe_validation(errors: list[dict[str, Any]]) -> tuple[int, str, list[dict[str, Any]]]:
    """Summarise pydantic errors: malformed JSON is a 400, a rule broken by a field is a 422."""
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = next(e for e in errors if e.get("type") == "json_invalid").get("ctx") or {}
        return 400, f"The request body is not valid JSON: {ctx.get('error', 'parse error')}", []
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e["msg"]}
        for e in errors
    ]
    summary = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields)
    return 422, summary, fields


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        slug=exc.type_slug,
        request=request,
        extra=exc.extra or None,
        headers=exc.headers or None,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    status, detail, fields = _describe_validation(list(exc.errors()))
    if status == 400:
        return problem_response(
            status=400,
            title="Malformed request",
            detail=detail,
            slug="malformed-json",
            request=request,
        )
    return problem_response(
        status=422,
        title="Invalid input",
        detail=detail,
        slug="invalid-input",
        request=request,
        extra={"errors": fields},
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}"
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.url.path} answers {', '.join(allowed)}, not {request.method}"
    return problem_response(
        status=exc.status_code,
        title=titles.get(exc.status_code, "HTTP error"),
        detail=detail,
        slug=f"http-{exc.status_code}",
        request=request,
        headers=headers or None,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this path (Starlette names only the first
    route's when several routes share a path, and FastAPI's included routers hide theirs)."""
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # This handler runs outside the observability middleware: name the request explicitly.
    _log.exception(
        "unhandled error",
        path=request.url.path,
        method=request.method,
        request_id=request.scope.get("bazaar.request_id"),
    )

    return problem_response(
        status=500,
        title="Internal error",
        detail="The service failed to handle this request; it has been logged with its request id.",
        slug="internal-error",
        request=request,
    )


async def _on_database_failure(request: Request, exc: Exception) -> JSONResponse:
    """A deadlock, a serialization conflict or the database out of reach is the moment's fault,
    not the request's: 503, and the same request may well succeed a second later."""
    if not is_passing(exc):
        return await _on_unexpected(request, exc)
    _log.warning("database failure answered with 503", path=request.url.path, error=repr(exc))
    return problem_response(
        status=503,
        title="Service unavailable",
        detail="The service's database could not serve this request just now (a conflicting "
        "transaction, or the database out of reach); retry shortly.",
        slug="database-unavailable",
        request=request,
        headers={"Retry-After": "1"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error path of `app` through problem+json."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(DBAPIError, _on_database_failure)
    app.add_exception_handler(OSError, _on_database_failure)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
