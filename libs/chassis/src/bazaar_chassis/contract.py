"""The OpenAPI document tells the truth: every operation lists every status it can answer.

A service's routes describe their successes; `document_errors` adds, to every operation, the
problem+json answers the platform gives around them (the gateway's 401/403/429/503/504, the
chassis's 400/404/422, 409/413 for writes), all with the one shared `Problem` schema, and the
gateway's rule for path segments to every path parameter that has no stricter pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bazaar_chassis.links import Links, with_links

if TYPE_CHECKING:  # the gateway uses `with_errors` without paying for FastAPI
    from fastapi import FastAPI

PROBLEM_CONTENT_TYPE = "application/problem+json"

PROBLEM_REF = "#/components/schemas/Problem"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem: what went wrong, for a person (`detail`) and a program.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what to do about it"},
        "instance": {"type": "string", "description": "urn:request:<request id>"},
        "errors": {
            "type": "array",
            "description": "422 only: each field that broke a rule",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

# What any operation may answer, whoever serves it: the gateway, the chassis or the route.
COMMON = {
    "400": "Malformed request: an ambiguous path, a bad `?version=` or a body that is not JSON",
    "401": "No valid credentials: the bearer token is missing, expired or revoked",
    "403": "The policy or the service does not let this caller do this",
    "404": "No such resource, or no such service or major behind the gateway",
    "422": "The request breaks a rule; `errors` names each field",
    "429": "Too many requests from this caller; retry after `Retry-After` seconds",
    "503": "The service, or one it depends on, cannot answer now; retry shortly",
    "504": "The service did not answer the gateway in time",
}
WRITES = {
    "409": "The request clashes with the current state (e.g. a stale `version`)",
}
WITH_BODY = {
    "413": "The request body is larger than the gateway accepts",
}
# What the gateway lets through in one path segment (bazaar_gateway.canonical): no '/', '?', '#',
# '%', '\\', control or format characters, not '.' or '..'. Letters, digits and a few marks say it.
PATH_SEGMENT_PATTERN = r"^[\w~@:+-][\w.~@:+-]*$"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_PYDANTIC_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def error_statuses(method: str, operation: dict[str, Any]) -> dict[str, str]:
    """The error statuses `operation` can answer, by status, with what each means."""
    statuses = dict(COMMON)
    if method in WRITE_METHODS:
        statuses |= WRITES
    if "requestBody" in operation:
        statuses |= WITH_BODY
    return statuses


def _segment_rule(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "string":
            schema.setdefault("pattern", PATH_SEGMENT_PATTERN)


def with_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every operation's error answers described as problem+json (in place)."""
    for operations in document.get("paths", {}).values():
        for method in METHODS:
            if (operation := operations.get(method)) is None:
                continue
            _segment_rule(operation)
            responses = operation.setdefault("responses", {})
            for status, description in error_statuses(method, operation).items():
                own = responses.get(status, {}).get("description")
                own = None if own == "Validation Error" else own  # FastAPI's, says nothing
                responses[status] = _problem_response(own or description)
            for status, response in responses.items():  # a route's own extra errors, too
                if status.startswith(("4", "5")) and "content" not in response:
                    response.update(_problem_response(response.get("description", "")))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _PYDANTIC_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    return document


def document_errors(app: FastAPI, *, links: tuple[Links, ...] = ()) -> None:
    """Make `app.openapi()` describe every error answer, and carry the service's `links`
    (computed once, on first request)."""

    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_links(with_errors(document), links)
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented way to replace it
