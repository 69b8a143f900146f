"""Which registry entries the gateway routes to: the key's writer, the claimed service and the
URL must agree with what the platform hands out (issue 8, item 1)."""

from __future__ import annotations

import pytest

from bazaar_chassis.registry import Instance
from bazaar_gateway.directory import ServiceDirectory
from bazaar_gateway.registry_trust import RegistryTrust

IDENTITY_URL = "http://127.0.0.1:4100"


def instance(service: str = "cart", url: str = "http://127.0.0.1:4200", **extra: str) -> Instance:
    return Instance(
        service=service,
        version="1.0.0",
        instance_id=extra.get("instance_id", "a1"),
        url=url,
        majors=[1],
        default_major=1,
        openapi_url=extra.get("openapi_url", f"{url}/openapi.json"),
    )


TRUST = RegistryTrust.of(upstream_hosts=["127.0.0.1"], identity_urls=[IDENTITY_URL])


def test_an_entry_whose_key_writer_service_and_url_agree_is_trusted() -> None:
    assert TRUST.refusal("cart.a1", instance()) is None
    assert TRUST.refusal("identity.a1", instance("identity", IDENTITY_URL)) is None


def test_an_entry_under_carts_key_that_claims_to_be_identity_is_refused() -> None:
    refusal = TRUST.refusal("cart.a1", instance("identity", IDENTITY_URL))
    assert refusal is not None
    assert "'cart'" in refusal
    assert "'identity'" in refusal


def test_a_key_that_is_not_service_dot_instance_id_is_refused() -> None:
    assert TRUST.refusal("cart.other", instance()) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:4200",  # not what the platform hands out
        "http://127.0.0.1",  # no port
        "http://10.0.0.9:4200",  # another host
        "http://evil.test:4200",
        "http://user:pw@127.0.0.1:4200",  # userinfo
        "http://127.0.0.1@evil.test:4200",
        "http://127.0.0.1:4200/prefix",  # a path
        "http://127.0.0.1:4200/",
        "http://127.0.0.1:4200?x=1",
        "http://127.0.0.1:4200#x",
        "http://127.0.0.1:99999",  # does not parse
        "file:///etc/passwd",
    ],
)
def test_an_upstream_url_the_platform_would_not_hand_out_is_refused(url: str) -> None:
    assert TRUST.refusal("cart.a1", instance(url=url)) is not None


def test_an_openapi_url_elsewhere_is_refused() -> None:
    entry = instance(openapi_url="http://127.0.0.1:9/openapi.json")
    assert TRUST.refusal("cart.a1", entry) is not None


def test_identity_is_routed_to_only_at_the_url_the_platform_pinned() -> None:
    impostor = instance("identity", "http://127.0.0.1:4999")
    refusal = TRUST.refusal("identity.a1", impostor)
    assert refusal is not None
    assert "pinned" in refusal
    unpinned = RegistryTrust.of(upstream_hosts=["127.0.0.1"], identity_urls=[])
    assert unpinned.refusal("identity.a1", impostor) is None  # then identity's own user decides


def test_other_hosts_can_be_allowed_by_the_operator() -> None:
    trust = RegistryTrust.of(upstream_hosts=["10.0.0.9"], identity_urls=[])
    assert trust.refusal("cart.a1", instance(url="http://10.0.0.9:4200")) is None
    assert trust.refusal("cart.a1", instance()) is not None


def test_the_directory_drops_a_trusted_entry_when_its_key_turns_untrusted() -> None:
    directory = ServiceDirectory(TRUST)
    assert directory.put(instance(), key="cart.a1")
    assert directory.pick("cart", 1) is not None
    assert not directory.put(instance("identity", IDENTITY_URL, instance_id="a1"), key="cart.a1")
    assert directory.pick("cart", 1) is None
    assert directory.pick("identity", 1) is None
    assert directory.known == {"cart"}
