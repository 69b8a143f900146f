"""A browser session's cookie value: a JSON object signed with HMAC-SHA256, dated, not encrypted.

Shared by the storefront's and the console's sessions; a forged or stale value is no session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedCookie:
    """Turns a dict (with an `issued_at` epoch time) into a cookie value and back."""

    def __init__(self, key: bytes, *, max_age_seconds: float) -> None:
        self._key = key
        self.max_age_seconds = max_age_seconds

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def dump(self, fields: dict[str, Any]) -> str:
        payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def load(self, value: str | None, *, now: float | None = None) -> dict[str, Any] | None:
        """The signed fields, or None for no value, a bad signature, or one older than max age."""
        if not value or value.count(".") != 1:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            fields = json.loads(_unb64(payload))
            issued = float(fields["issued_at"])
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(fields, dict):
            return None
        if (now if now is not None else time.time()) - issued > self.max_age_seconds:
            return None
        return fields
