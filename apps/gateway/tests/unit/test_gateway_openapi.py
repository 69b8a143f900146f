"""The merged document of the public API: every service's paths, each service's schemas under
its own name, one shared Problem, and the gateway's own answers on every operation."""

from __future__ import annotations

from typing import Any

from bazaar_gateway.openapi import _of_major, _template, merge


def _document(service: str, *paths: str) -> dict[str, Any]:
    ok = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Money"}}}}
    return {
        "openapi": "3.1.0",
        "paths": {path: {"get": {"responses": {"200": ok}}} for path in paths},
        "components": {"schemas": {"Money": {"title": service}}},
    }


def test_two_services_schemas_of_one_name_stay_apart_in_the_merged_document() -> None:
    merged = merge(
        {
            "cart": _document("cart", "/cart/1/carts"),
            "customer": _document("customer", "/customer/1/customers"),
        },
        unavailable=["order"],
    )
    schemas = merged["components"]["schemas"]
    assert schemas["cart.Money"] == {"title": "cart"}
    assert schemas["customer.Money"] == {"title": "customer"}
    cart_ok = merged["paths"]["/cart/1/carts"]["get"]["responses"]["200"]
    assert cart_ok["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/cart.Money"
    )
    assert merged["x-unavailable"] == ["order"]


def test_every_merged_operation_documents_the_gateways_own_answers() -> None:
    merged = merge({"cart": _document("cart", "/cart/1/carts")}, unavailable=[])
    for path in ("/cart/1/carts", "/openapi.json", "/{service}/{major}/openapi.json"):
        responses = merged["paths"][path]["get"]["responses"]
        assert {"401", "403", "404", "429", "503", "504"} <= set(responses)
    assert "Problem" in merged["components"]["schemas"]


def test_a_services_document_at_one_major_holds_only_that_majors_paths() -> None:
    document = _document("inventory", "/inventory/1/stock/{sku}", "/inventory/2/stock/{sku}")
    assert list(_of_major(document, "inventory", 2)["paths"]) == ["/inventory/2/stock/{sku}"]
    assert list(document["paths"]) == ["/inventory/1/stock/{sku}", "/inventory/2/stock/{sku}"]


def test_a_path_template_matches_one_segment_per_parameter() -> None:
    template = _template("/cart/1/carts/{cart_id}/items/{sku}")
    assert template.fullmatch("/cart/1/carts/c-1/items/COF-1")
    assert not template.fullmatch("/cart/1/carts/c-1/items/COF-1/more")
    assert not template.fullmatch("/cart/1/carts/c-1/items")
