"""The operations token (`BAZAAR_OPERATIONS_TOKEN`), which probes, scrapers and Prometheus present
as a bearer to the gateway and the console: one check of it, in constant time, for both."""

from __future__ import annotations

import hmac


def presents_operations_token(authorization: str | None, token: str | None) -> bool:
    """Whether `authorization` is exactly `Bearer <token>`; never when no token is configured."""
    if token is None:
        return False
    return hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode())
