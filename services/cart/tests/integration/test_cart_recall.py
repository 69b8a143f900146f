"""The cart's part of a product recall on real NATS and a real database: the SKU leaves every
active cart, the owner reads why on the cart, and `cart.recalled_lines_removed` is announced
once, however often the recall is told."""

from __future__ import annotations

import httpx

from bazaar_chassis.testing import EventProbe

from .conftest import Producers, Upstream

Shop = tuple[httpx.AsyncClient, Upstream]


def recall(sku: str, reason: str) -> dict[str, object]:
    return {"sku": sku, "name": sku, "description": "", "status": "recalled", "reason": reason}


async def test_a_recall_removes_the_sku_from_active_carts_with_a_notice_once(
    shop: Shop, producers: Producers, event_probe: EventProbe
) -> None:
    client, upstream = shop
    upstream.product("TEA-1", name="Green tea", price=1000, stock=100, categories=["tea"])
    upstream.product("COF-1", name="Coffee", price=900, stock=100, categories=["coffee"])
    cart_id = str((await client.post("/cart/1/carts")).json()["id"])
    for sku, quantity in (("TEA-1", 2), ("COF-1", 1)):
        added = await client.post(
            f"/cart/1/carts/{cart_id}/items", json={"sku": sku, "quantity": quantity}
        )
        assert added.status_code == 201, added.text

    await producers.publish("product.recalled.v1", "TEA-1", 2, recall("TEA-1", "mould"))

    removed = await event_probe.expect("cart.recalled_lines_removed", subject="TEA-1")
    assert removed.data["carts"] == [{"cart_id": cart_id, "owner": "user-ann", "quantity": 2}]
    body = (await client.get(f"/cart/1/carts/{cart_id}")).json()
    assert [line["sku"] for line in body["lines"]] == ["COF-1"]
    [notice] = body["notices"]
    assert (notice["sku"], notice["name"], notice["quantity"], notice["reason"]) == (
        "TEA-1",
        "Green tea",
        2,
        "mould",
    )

    await producers.publish("product.recalled.v1", "TEA-1", 3, recall("TEA-1", "again"))
    await producers.publish("product.recalled.v1", "XYZ-1", 2, recall("XYZ-1", "later"))
    await event_probe.expect("cart.recalled_lines_removed", subject="XYZ-1")
    assert len(event_probe.matching("cart.recalled_lines_removed", subject="TEA-1")) == 1
    assert (await client.get(f"/cart/1/carts/{cart_id}")).json() == body
