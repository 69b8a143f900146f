"""The session cookie: what the storefront signs comes back intact, anything else is no session."""

from __future__ import annotations

from bazaar_storefront.session import MAX_AGE_SECONDS, Session, SessionCodec

CODEC = SessionCodec(b"a test key of the storefront")


def test_a_signed_session_reads_back_with_its_token_cart_and_csrf() -> None:
    session = Session(token="tok", email="a@b.test", cart_id="c1", cart_token="ct")
    loaded = CODEC.load(CODEC.dump(session))
    assert loaded == session


def test_a_tampered_cookie_is_no_session() -> None:
    value = CODEC.dump(Session(token="mine"))
    payload, mac = value.split(".")
    forged = CODEC.dump(Session(token="someone else's")).split(".")[0]
    assert CODEC.load(f"{forged}.{mac}") is None
    assert CODEC.load(f"{payload}.{mac[:-2]}xx") is None


def test_a_cookie_signed_with_another_key_is_no_session() -> None:
    other = SessionCodec(b"another key")
    assert CODEC.load(other.dump(Session(token="tok"))) is None


def test_a_cookie_older_than_its_max_age_is_no_session() -> None:
    session = Session(issued_at=1000.0)
    assert CODEC.load(CODEC.dump(session), now=1000.0 + MAX_AGE_SECONDS + 1) is None
    assert CODEC.load(CODEC.dump(session), now=1000.0 + MAX_AGE_SECONDS - 1) == session


def test_garbage_is_no_session() -> None:
    for value in (None, "", "no-dot", "a.b.c", "!!!.???"):
        assert CODEC.load(value) is None


def test_the_csrf_token_must_match_exactly_and_changes_at_sign_out() -> None:
    session = Session(token="tok", cart_id="c1")
    before = session.csrf
    assert session.csrf_ok(before)
    assert not session.csrf_ok(None)
    assert not session.csrf_ok(before + "x")
    session.sign_out()
    assert session.token is None
    assert session.cart_id is None
    assert session.csrf != before


def test_a_flash_message_is_shown_once() -> None:
    session = Session()
    session.say("hello", kind="success")
    assert session.take_flash() == ("hello", "success")
    assert session.take_flash() is None
