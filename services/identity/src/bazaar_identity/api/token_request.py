"""Reading an OAuth2 token request: a form (RFC 6749) or a JSON object, plus HTTP Basic.

Whatever is wrong with the request itself (its media type, its JSON, a repeated or non-string
parameter, two ways of sending client credentials) is an `invalid_request`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from fastapi import Request
from pydantic import BaseModel, Field

from bazaar_identity.domain import InvalidRequest

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class TokenRequestFields(BaseModel):
    """The parameters of POST /token (documentation; the route reads them itself)."""

    grant_type: str = Field(examples=["password", "client_credentials"])
    username: str | None = Field(default=None, description="password grant: the email")
    password: str | None = Field(default=None, description="password grant")
    organization: str | None = Field(
        default=None, description="password grant: the organization the token is for"
    )
    client_id: str | None = Field(default=None, description="client_credentials grant")
    client_secret: str | None = Field(default=None, description="client_credentials grant")


def openapi_request_body() -> dict[str, Any]:
    schema = TokenRequestFields.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {FORM: {"schema": schema}, JSON: {"schema": schema}},
        }
    }


async def read_token_request(request: Request) -> dict[str, str]:
    """The request's parameters, client credentials from a Basic header included."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == FORM:
        fields = await _form_fields(request)
    elif media_type == JSON or media_type.endswith("+json"):
        fields = _json_fields(await request.body())
    else:
        raise InvalidRequest(f"send the token request as {FORM} or {JSON}")
    basic = _basic_credentials(request.headers.get("authorization"))
    if basic is not None:
        if "client_id" in fields or "client_secret" in fields:
            raise InvalidRequest(
                "send client credentials once: in the Authorization header or in the body"
            )
        fields["client_id"], fields["client_secret"] = basic
    return fields


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    fields: dict[str, str] = {}
    for key in set(form.keys()):
        values = form.getlist(key)
        if len(values) != 1:
            raise InvalidRequest(f"{key!r} is given {len(values)} times; send each parameter once")
        value = values[0]
        if not isinstance(value, str):
            raise InvalidRequest(f"{key!r} must be text")
        if value:
            fields[key] = value
    return fields


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        loaded = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise InvalidRequest("the request body must be a JSON object")
    fields: dict[str, str] = {}
    for key, value in loaded.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise InvalidRequest(f"{key!r} must be a string")
        fields[key] = value
    return fields


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidRequest("the Basic Authorization header is not valid base64") from exc
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise InvalidRequest("the Basic Authorization header must hold client_id:client_secret")
    return unquote_plus(client_id), unquote_plus(secret)


def required(fields: dict[str, str], *names: str, grant: str) -> list[str]:
    """The named parameters, or an invalid_request naming every one that is missing."""
    missing = [name for name in names if name not in fields]
    if missing:
        raise InvalidRequest(
            f"the {grant} grant needs {', '.join(names)}; missing: {', '.join(missing)}"
        )
    return [fields[name] for name in names]
