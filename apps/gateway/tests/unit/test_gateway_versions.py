"""What the gateway says about versions: a path major and `?version=` that disagree are refused,
every forwarded reply names its release, and a deprecated major announces its sunset and
successor."""

from __future__ import annotations

from datetime import date

import pytest
from multidict import MultiDict

from bazaar_chassis.registry import Deprecation, Instance
from bazaar_gateway.directory import ServiceDirectory, ServiceView
from bazaar_gateway.routing import Address, BadVersion, parse, query_without_version
from bazaar_gateway.versions import deprecation_headers, served_by

SUNSET = Deprecation(since=date(2026, 12, 1), sunset=date(2027, 6, 30))


def pricing(version: str = "1.4.0", **extra: object) -> Instance:
    return Instance(
        service="pricing",
        version=version,
        instance_id=f"p-{version}",
        url="http://127.0.0.1:4300",
        majors=[1, 2],
        default_major=1,
        openapi_url="http://127.0.0.1:4300/openapi.json",
        **extra,  # type: ignore[arg-type]
    )


def view_of(*instances: Instance) -> ServiceView:
    directory = ServiceDirectory()
    for instance in instances:
        directory.put(instance)
    found = directory.view("pricing")
    assert found is not None
    return found


def address(path: str, query: str = "") -> Address:
    pairs = [tuple(p.split("=", 1)) for p in query.split("&") if p]
    parsed = parse(path, MultiDict((name, value) for name, value in pairs))
    assert parsed is not None
    return parsed


def test_a_path_major_and_a_version_query_that_disagree_are_refused() -> None:
    with pytest.raises(BadVersion, match="path names major 1 and \\?version= names 2"):
        parse("/pricing/1/prices/A", MultiDict([("version", "2")]))


def test_a_path_major_and_a_version_query_that_agree_are_one_choice() -> None:
    agreed = address("/pricing/2/prices/A", "version=2")
    assert (agreed.major, agreed.rest) == (2, "/prices/A")
    assert query_without_version("version=2") == ""


def test_a_reply_names_the_service_and_release_of_the_instance_that_answered() -> None:
    assert served_by(pricing("2.3.1")) == {"Bazaar-Served-By": "pricing/2.3.1"}


def test_a_deprecated_major_announces_its_dates_and_the_same_path_on_its_successor() -> None:
    view = view_of(
        pricing(deprecated_majors=[1], deprecations={"1": SUNSET.to_entry()}),
    )
    headers = deprecation_headers(
        view, address=address("/pricing/1/prices/A%20B"), major=1, raw_query="currency=EUR"
    )
    assert headers == {
        "Deprecation": "@1796083200",  # 2026-12-01T00:00:00Z
        "Sunset": "Wed, 30 Jun 2027 00:00:00 GMT",
        "Link": '</pricing/2/prices/A%20B?currency=EUR>; rel="successor-version"',
    }


def test_the_default_route_to_a_deprecated_major_is_announced_too() -> None:
    view = view_of(pricing(deprecated_majors=[1], deprecations={"1": SUNSET.to_entry()}))
    headers = deprecation_headers(view, address=address("/pricing/prices/A"), major=1, raw_query="")
    assert headers["Link"] == '</pricing/2/prices/A>; rel="successor-version"'


def test_a_major_that_is_not_deprecated_gets_no_deprecation_headers() -> None:
    view = view_of(pricing(deprecated_majors=[1], deprecations={"1": SUNSET.to_entry()}))
    assert deprecation_headers(view, address=address("/pricing/2/x"), major=2, raw_query="") == {}


def test_the_newest_release_says_which_majors_are_deprecated() -> None:
    view = view_of(
        pricing("1.0.0"),
        pricing("1.1.0", deprecated_majors=[1], deprecations={"1": SUNSET.to_entry()}),
    )
    assert view.deprecations == {1: SUNSET}
    assert view.successor(1) == 2
    assert view.successor(2) is None


def test_a_sunset_before_the_deprecation_is_a_declaration_error() -> None:
    with pytest.raises(ValueError, match="sunset"):
        Deprecation(since=date(2027, 1, 1), sunset=date(2026, 1, 1))
