"""The gateway's addressing rules."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from bazaar_chassis.kept import CHARACTERS as KEPT_PATH_CHARACTERS
from bazaar_gateway import routing
from bazaar_gateway.routing import BadVersion, parse, query_without_version


def test_the_major_in_the_path_selects_the_version() -> None:
    address = parse("/pricing/2/prices/A", MultiDict())
    assert address is not None
    assert (address.service, address.major, address.upstream_path(2)) == (
        "pricing",
        2,
        "/pricing/2/prices/A",
    )


def test_the_version_query_selects_the_major_and_is_not_forwarded() -> None:
    address = parse("/pricing/prices/A", MultiDict([("version", "2"), ("currency", "EUR")]))
    assert address is not None
    assert address.major == 2
    assert address.upstream_path(2) == "/pricing/2/prices/A"
    assert query_without_version("version=2&currency=EUR") == "currency=EUR"


def test_without_a_version_the_default_major_is_left_to_the_directory() -> None:
    address = parse("/catalog/categories/coffee/products", MultiDict())
    assert address is not None
    assert address.major is None
    assert address.upstream_path(1) == "/catalog/1/categories/coffee/products"


@pytest.mark.parametrize("path", ["/", ""])
def test_a_path_without_a_service_is_not_an_address(path: str) -> None:
    assert parse(path, MultiDict()) is None


@pytest.mark.parametrize("version", ["two", "0", "-1", ""])
def test_a_version_that_is_not_a_positive_integer_is_refused(version: str) -> None:
    with pytest.raises(BadVersion, match="positive integer"):
        parse("/pricing/prices/A", MultiDict([("version", version)]))


def test_an_address_is_kept_for_a_short_path_only() -> None:
    """What is kept is bounded in size as well as in number: a flood of long paths keeps none."""
    routing._kept_address.forget()
    long_path = "/pricing/2/" + "a" * KEPT_PATH_CHARACTERS
    address = parse(long_path, MultiDict())
    assert address is not None
    assert (address.service, address.major) == ("pricing", 2)
    assert routing._kept_address.count() == 0
    assert parse("/pricing/2/prices/A", MultiDict()) == parse("/pricing/2/prices/A", MultiDict())
    assert routing._kept_address.count() == 1
