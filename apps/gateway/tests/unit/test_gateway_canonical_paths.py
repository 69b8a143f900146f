"""The path the policy authorizes is the path the service receives, or the request is refused.

The service side is read the way uvicorn reads it (`unquote` of the raw path) after the URL went
through yarl as the gateway sends it; a generated path with encodings and dot segments either
parses to an address whose two forms agree, or is refused as ambiguous or as a bad version.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict
from yarl import URL

from bazaar_gateway.canonical import AmbiguousPath, _check_characters, decoded_path
from bazaar_gateway.routing import BadVersion, parse, query_without_version

TRICKY_SEGMENTS = [
    "prices", "A-1", "x.y", "1", "2", "0", "01", ".", "..", "%2E", "%2e", "%2E%2E", ".%2E",
    "%2F", "a%2fb", "%252F", "%3F", "a%3Fversion=2", "%23", "%25", "%5C", "a\\b", "", "%00",
    "%1F", "%7F", "%zz", "%4", "%41", "%C3%A9", "%C2%B2", "%D9%A1", "%FF", "%E2%80%AE", ";x",
    "a%20b", "~", "@", "é", " ",
]  # fmt: skip

segments = st.one_of(
    st.sampled_from(TRICKY_SEGMENTS),
    st.text(alphabet="abc.%/2EFef\\?#", min_size=0, max_size=6),
)


def as_the_service_reads_it(raw_path: str) -> str:
    """What uvicorn puts in scope['path'] for the URL the gateway sends."""
    sent = URL("http://127.0.0.1:9" + raw_path, encoded=True)
    return unquote(sent.raw_path)


@given(
    service=st.sampled_from(["pricing", "identity", "%70ricing", "pri.cing", ".."]),
    parts=st.lists(segments, min_size=0, max_size=5),
    version=st.one_of(st.none(), st.sampled_from(["1", "2", "²", "0", "x", "01"])),
)
def test_the_authorized_path_is_the_received_path_or_the_request_is_refused(
    service: str, parts: list[str], version: str | None
) -> None:
    raw = "/" + "/".join([service, *parts])
    query = MultiDict([("version", version)]) if version is not None else MultiDict[str]()
    try:
        address = parse(raw, query)
    except (AmbiguousPath, BadVersion):
        return
    assert address is not None
    major = address.major if address.major is not None else 1
    authorized = address.upstream_path(major)
    assert as_the_service_reads_it(address.raw_upstream_path(major)) == authorized
    segments_seen = authorized.split("/")[1:]
    assert "" not in segments_seen
    assert not {".", ".."} & set(segments_seen)
    assert not any(c in authorized for c in "?#\\\x00")
    assert segments_seen[:2] == [address.service, str(major)]


@pytest.mark.parametrize(
    "path",
    [
        "/pricing/1/%2E%2E/2/prices/X",
        "/pricing/1/../2/prices/X",
        "/pricing/1/./prices/X",
        "/pricing/1/prices/%2e",
        "/pricing/1/prices/%252F",
        "/pricing/1/prices/a%2Fb",
        "/pricing/1/prices/X%3Fversion=2",
        "/pricing/1/prices/X%23",
        "/pricing/1/prices/X%25",
        "/pricing/1/prices\\X",
        "/pricing/1/prices/%5C",
        "/pricing/1/prices/%00",
        "/pricing/1//prices",
        "/pricing/1/prices/",
        "/pricing/1/prices/%zz",
        "/pricing/1/prices/%FF",
        "/%70ricing/1/prices",
    ],
)
def test_each_ambiguous_path_is_refused_before_anything_else(path: str) -> None:
    with pytest.raises(AmbiguousPath):
        parse(path, MultiDict())


@pytest.mark.parametrize("path", ["/identity/%C2%B2/jwks", "/identity/%D9%A1/jwks"])
def test_a_major_in_other_than_ascii_digits_is_a_bad_version(path: str) -> None:
    with pytest.raises(BadVersion, match="ASCII digits"):
        parse(path, MultiDict())


@pytest.mark.parametrize("version", ["²", "\u0661", "1.0", " 1"])
def test_a_version_query_in_other_than_ascii_digits_is_a_bad_version(version: str) -> None:
    with pytest.raises(BadVersion, match="positive integer"):
        parse("/pricing/prices/A", MultiDict([("version", version)]))


def test_a_path_major_and_a_different_version_query_are_refused_and_equal_ones_accepted() -> None:
    with pytest.raises(BadVersion, match="major 1 and \\?version= names 2"):
        parse("/pricing/1/prices/A", MultiDict([("version", "2")]))
    with pytest.raises(BadVersion, match="more than once"):
        parse("/pricing/prices/A", MultiDict([("version", "1"), ("version", "2")]))
    address = parse("/pricing/2/prices/A", MultiDict([("version", "2")]))
    assert address is not None
    assert address.major == 2


def test_an_encoded_character_that_splits_nothing_is_forwarded_exactly_as_sent() -> None:
    address = parse("/catalog/1/products/caf%C3%A9%20bar", MultiDict())
    assert address is not None
    assert address.upstream_path(1) == "/catalog/1/products/café bar"
    assert address.raw_upstream_path(1) == "/catalog/1/products/caf%C3%A9%20bar"


def test_the_raw_query_is_forwarded_as_sent_without_its_version() -> None:
    raw = "q=a+b&version=2&x=%2F%3F&versio%6E=3&tail"
    assert query_without_version(raw) == "q=a+b&x=%2F%3F&tail"


def decoded_path_reference(raw_path: str) -> str:
    """`decoded_path` as first written: every segment decoded and searched for control
    characters, escapes or not."""
    _check_characters(raw_path)
    segments = []
    for raw in raw_path[1:].split("/"):
        if not raw:
            raise AmbiguousPath("empty segment")
        try:
            segment = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise AmbiguousPath("not UTF-8") from None
        if segment in (".", ".."):
            raise AmbiguousPath("dot segment")
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in segment):
            raise AmbiguousPath("control character")
        segments.append(segment)
    return "/" + "/".join(segments)


@given(parts=st.lists(segments, min_size=1, max_size=5))
def test_decoding_only_segments_with_escapes_reads_every_path_as_decoding_all_did(
    parts: list[str],
) -> None:
    raw = "/" + "/".join(parts)
    try:
        expected: str | type[AmbiguousPath] = decoded_path_reference(raw)
    except AmbiguousPath:
        expected = AmbiguousPath
    try:
        got: str | type[AmbiguousPath] = decoded_path(raw)
    except AmbiguousPath:
        got = AmbiguousPath
    assert got == expected
