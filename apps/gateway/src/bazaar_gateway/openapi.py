"""The public API's documents: each service's at `/<service>/<major>/openapi.json`, all of them
merged at `/openapi.json`, with the gateway's own answers on every operation.

Public on purpose (no token, no policy): a client author needs the contract before signing in, and
a document names only what the policy already lets anyone try. Each is fetched from a live
instance of the newest version serving that major, and kept per (service, version).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from bazaar_chassis.contract import with_errors
from bazaar_chassis.registry import Instance
from bazaar_gateway.problems import problem
from bazaar_gateway.proxy import UpstreamBusy, UpstreamTimeout, UpstreamUnreachable
from bazaar_gateway.state import GATEWAY, Gateway

SCHEMA_REF = "#/components/schemas/"
SHARED_SCHEMAS = frozenset({"Problem"})
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def _json(data: Any) -> web.Response:
    return web.Response(body=orjson.dumps(data), content_type="application/json")


def _unknown(detail: str) -> web.Response:
    return problem(404, "Not found", detail, slug="unknown-service")


async def _document_of(gateway: Gateway, instance: Instance) -> dict[str, Any]:
    """The instance's whole document (every major it serves), fetched once per version."""
    cache = gateway.documents
    key = (instance.service, instance.version)
    if key not in cache:
        reply = await gateway.upstreams.send(
            instance, method="GET", path_qs="/openapi.json", headers=CIMultiDict(), body=b""
        )
        if reply.status != 200:
            raise UpstreamUnreachable(f"{instance.key} answered {reply.status} for its document")
        cache[key] = orjson.loads(reply.body)
    return cache[key]


def _newest(gateway: Gateway, service: str, major: int) -> Instance | None:
    view = gateway.directory.view(service)
    candidates = [i for i in view.instances if major in i.majors] if view else []
    return candidates[-1] if candidates else None  # instances are sorted by version


def _of_major(document: dict[str, Any], service: str, major: int) -> dict[str, Any]:
    """`document` with only the paths of one major (a copy)."""
    result = copy.deepcopy(document)
    prefix = f"/{service}/{major}/"
    result["paths"] = {p: ops for p, ops in document["paths"].items() if p.startswith(prefix)}
    return with_errors(result)


async def service_document(request: web.Request) -> web.Response:
    service, raw_major = request.match_info["service"], request.match_info["major"]
    gateway = request.app[GATEWAY]
    instance = _newest(gateway, service, int(raw_major))
    if instance is None:
        return _unknown(f"no live service {service!r} with major {raw_major}")
    try:
        document = await _document_of(gateway, instance)
    except (UpstreamBusy, UpstreamUnreachable, UpstreamTimeout):
        return problem(
            503, "Service unavailable", f"{service} cannot be asked now", slug="no-instance"
        )
    return _json(_of_major(document, service, int(raw_major)))


def _renamed(node: Any, service: str) -> Any:
    """`node` with each schema reference prefixed by the service (two services' `Money` differ)."""
    if isinstance(node, dict):
        return {
            k: (
                _prefixed_ref(v, service)
                if k == "$ref" and isinstance(v, str)
                else _renamed(v, service)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_renamed(v, service) for v in node]
    return node


def _prefixed_ref(ref: str, service: str) -> str:
    name = ref.removeprefix(SCHEMA_REF)
    return ref if name in SHARED_SCHEMAS else f"{SCHEMA_REF}{service}.{name}"


def _gateway_paths() -> dict[str, Any]:
    document = {"type": "object", "description": "an OpenAPI 3.1 document"}
    ok = {
        "200": {
            "description": "the document",
            "content": {"application/json": {"schema": document}},
        }
    }
    return {
        "/openapi.json": {
            "get": {"summary": "The whole public API, merged", "tags": ["gateway"], "responses": ok}
        },
        "/{service}/{major}/openapi.json": {
            "get": {
                "summary": "One service's API at one major",
                "tags": ["gateway"],
                "parameters": [
                    {
                        "name": "service",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
                    },
                    {
                        "name": "major",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 999},
                    },
                ],
                "responses": ok,
            }
        },
    }


def merge(documents: dict[str, dict[str, Any]], *, unavailable: list[str]) -> dict[str, Any]:
    """One document of the public API from each service's (by service name): their paths, their
    schemas named `<service>.<Name>` (two services' `Money` differ), one shared `Problem`."""
    paths: dict[str, Any] = _gateway_paths()
    schemas: dict[str, Any] = {}
    for service, document in sorted(documents.items()):
        renamed = _renamed(document, service)
        paths |= renamed.get("paths", {})
        for name, schema in renamed.get("components", {}).get("schemas", {}).items():
            schemas[name if name in SHARED_SCHEMAS else f"{service}.{name}"] = schema
    merged = {
        "openapi": "3.1.0",
        "info": {
            "title": "Bazaar public API",
            "version": "1",
            "description": "Every service behind the gateway, as the gateway serves it.",
        },
        "paths": paths,
        "components": {"schemas": schemas},
        "x-unavailable": sorted(unavailable),
    }
    return with_errors(merged)


async def merged_document(request: web.Request) -> web.Response:
    """Every live service's every major in one document; a service that cannot be asked now is
    left out (and named in `x-unavailable`) rather than failing the whole document."""
    documents: dict[str, dict[str, Any]] = {}
    unavailable = []
    gateway = request.app[GATEWAY]
    for view in gateway.directory.services():
        try:
            documents[view.name] = await _document_of(gateway, view.instances[-1])
        except (UpstreamBusy, UpstreamUnreachable, UpstreamTimeout):
            unavailable.append(view.name)
    return _json(merge(documents, unavailable=unavailable))


def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))


async def undeclared_method(
    gateway: Gateway, method: str, *, service: str, major: int, path: str
) -> list[str] | None:
    """The methods documented for `path` when `method` is not one of them, so that a refusal
    can be a 405 naming them; None when the method is documented, the path is not, or the
    document cannot be had now."""
    instance = _newest(gateway, service, major)
    if instance is None:
        return None
    try:
        document = await _document_of(gateway, instance)
    except (UpstreamBusy, UpstreamUnreachable, UpstreamTimeout):
        return None
    methods = {
        method.upper()
        for template, operations in document.get("paths", {}).items()
        if _template(template).fullmatch(path)
        for method in operations
        if method.upper() in HTTP_METHODS
    }
    return None if not methods or method in methods else sorted(methods)


def add_openapi_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", merged_document)
    app.router.add_get(r"/{service}/{major:[0-9]{1,3}}/openapi.json", service_document)
