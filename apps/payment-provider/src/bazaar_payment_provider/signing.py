"""Webhook signatures: `Provider-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over `t.body`.

The receiver recomputes it with the shared secret and refuses old timestamps, so a webhook can be
neither forged nor replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Provider-Signature"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
