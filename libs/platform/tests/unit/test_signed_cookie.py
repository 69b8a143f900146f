from bazaar_platform.signed_cookie import SignedCookie

COOKIE = SignedCookie(b"a test key", max_age_seconds=60)


def test_a_dumped_session_loads_back_with_its_fields() -> None:
    fields = {"token": "t", "csrf": "c", "issued_at": 1000.0}
    assert COOKIE.load(COOKIE.dump(fields), now=1010.0) == fields


def test_a_tampered_value_or_another_key_is_no_session() -> None:
    value = COOKIE.dump({"token": "t", "issued_at": 1000.0})
    payload, mac = value.split(".")
    forged = SignedCookie(b"a test key", max_age_seconds=60).dump({"token": "x", "issued_at": 1.0})
    assert COOKIE.load(f"{forged.split('.')[0]}.{mac}", now=1000.0) is None
    assert SignedCookie(b"another key", max_age_seconds=60).load(value, now=1000.0) is None
    assert COOKIE.load(payload, now=1000.0) is None
    assert COOKIE.load(None) is None


def test_a_session_older_than_its_max_age_or_undated_is_no_session() -> None:
    assert COOKIE.load(COOKIE.dump({"issued_at": 1000.0}), now=1061.0) is None
    assert COOKIE.load(COOKIE.dump({"token": "t"}), now=1000.0) is None
