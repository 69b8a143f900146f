"""The catalog's one synchronous call: inventory's current stock of a SKU, through the gateway.

Used only when a caller asks for `forceInventorySync`; everything else reads the catalog's copy.
"""

from __future__ import annotations

from bazaar_catalog.use_cases import StockLookup
from bazaar_chassis import Runtime, Unavailable

ADVICE = "retry, or omit forceInventorySync to get the catalog's copy"


def stock_lookup(runtime: Runtime) -> StockLookup:
    """A `StockLookup` over the instance's service client (503 when inventory cannot answer)."""

    async def available(sku: str) -> int:
        try:
            reply = await runtime.http.get(f"/inventory/1/stock/{sku}")
        except Unavailable as exc:
            detail = f"inventory could not be asked about {sku} ({exc}); {ADVICE}"
            raise Unavailable(detail) from exc
        if reply.status == 404:
            return 0
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise Unavailable(f"inventory answered {reply.status} for {sku}; {ADVICE}")
        return int(reply.body["available"])

    return available
