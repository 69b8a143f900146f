"""Jenn's rule on the real promotion service behind a real gateway: marketing creates promotions
and codes, a shopper is refused by the gateway's policy, and everyone reads what is on offer.

(The service refuses a shopper's write on its own as well:
services/promotion/tests/integration/test_promotion_api.py.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bazaar_chassis import ServiceSettings
from bazaar_chassis.testing import serving
from bazaar_promotion.service import build_app as build_promotion

from .conftest import Platform

PROMOTIONS = "/promotion/1/promotions"


@pytest.fixture
async def with_promotion(
    platform: Platform, service_settings: ServiceSettings
) -> AsyncIterator[Platform]:
    settings = service_settings.model_copy(
        update={"instance_id": "promotion-1", "data_dir": service_settings.data_dir / "promotion"}
    )
    async with serving(build_promotion, settings):
        await platform.routes_to("promotion")
        yield platform


async def test_jenn_runs_promotions_and_a_shopper_is_refused_by_the_gateway(
    with_promotion: Platform,
) -> None:
    platform = with_promotion
    jenn = await platform.token("jenn@bazaar.test")
    shopper = await platform.token("shopper@bazaar.test")
    body = {"name": "Spring", "kind": "percentage", "value": 15}

    status, created = await platform.call("POST", PROMOTIONS, token=jenn, json=body)
    assert status == 201, created
    status, code = await platform.call(
        "POST",
        f"{PROMOTIONS}/{created['id']}/codes",
        token=jenn,
        json={"code": "SPRING15", "usage_limit": 10},
    )
    assert (status, code["code"]) == (201, "SPRING15")

    path = f"{PROMOTIONS}/{created['id']}"
    for method, target, payload in [
        ("POST", PROMOTIONS, body),
        ("PATCH", path, {"version": 1, "value": 100}),
        ("GET", "/promotion/1/codes/SPRING15", None),
    ]:
        status, problem = await platform.call(method, target, token=shopper, json=payload)
        assert status == 403
        assert f"may not {method} {target}" in problem["detail"]  # the gateway's refusal

    for token in (shopper, None):  # a signed-in shopper, and a guest
        status, listed = await platform.call("GET", PROMOTIONS, token=token)
        assert status == 200
        assert [p["id"] for p in listed["items"]] == [created["id"]]
