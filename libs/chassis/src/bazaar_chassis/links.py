"""OpenAPI links, declared once per resource: which operations an answer's values lead to.

A client (or schemathesis's stateful phase) follows them to read, change and delete the resource
it has just created; a service declares `Links(...)` in its definition and `with_links` renders
them into every success answer of each source operation of its document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

SCHEMA_REF = "#/components/schemas/"


@dataclass(frozen=True, slots=True)
class Links:
    """After any of `sources` ("POST /product/1/products") succeeds, each of `targets` can be
    called with values taken from its answer: `parameters` names a target's path or query
    parameter and the runtime expression of its value (`$response.body#/sku`), `body` the fields
    merged into a target's request body (`version` for a write that checks it: `SAME_VERSION`).
    A target gets only the parameters and body fields it declares."""

    SAME_VERSION: ClassVar[Mapping[str, str]] = {"version": "$response.body#/version"}
    """`body` for targets that check the version the source's answer carries."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    parameters: Mapping[str, str]
    body: Mapping[str, str] = field(default_factory=dict)


def _operation(document: dict[str, Any], name: str) -> tuple[str, str, dict[str, Any]]:
    method, path = name.split(" ", 1)
    try:
        return path, method.lower(), document["paths"][path][method.lower()]
    except KeyError:
        raise ValueError(f"a link names {name!r}, which the document does not have") from None


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMA_REF):
        schema = document.get("components", {}).get("schemas", {}).get(ref[len(SCHEMA_REF) :], {})
    return set(schema.get("properties", {}))


def _link(document: dict[str, Any], links: Links, target: str) -> tuple[str, dict[str, Any]]:
    path, method, operation = _operation(document, target)
    declared = {p["name"] for p in operation.get("parameters", [])}
    rendered: dict[str, Any] = {
        "operationRef": _pointer(path, method),
        "parameters": {k: v for k, v in links.parameters.items() if k in declared},
    }
    fields = _body_fields(document, operation)
    if body := {k: v for k, v in links.body.items() if k in fields}:
        rendered["requestBody"] = body
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{method}{path}").strip("_")
    return name, rendered


def with_links(document: dict[str, Any], links: tuple[Links, ...]) -> dict[str, Any]:
    """`document` with `links` in every success answer of their sources (in place)."""
    for declared in links:
        rendered = dict(_link(document, declared, target) for target in declared.targets)
        for source in declared.sources:
            _, _, operation = _operation(document, source)
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("links", {}).update(rendered)
    return document
