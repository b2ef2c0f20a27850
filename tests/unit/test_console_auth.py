"""The console's ways in, without a network: Ecwid's admin payload, console sessions and
sign-in codes, and the security headers of its pages."""

from __future__ import annotations

import base64
import secrets

import pytest

from connector.console import payload, render, session

SECRET = "client-secret-0123456789abcdef"


def sealed(content: dict[str, object], secret: str = SECRET) -> str:
    return payload.encrypt(content, secret, secrets.token_bytes(16))


def test_a_payload_opens_with_the_first_16_characters_of_the_client_secret() -> None:
    raw = sealed({"store_id": 1003, "access_token": "secret_abc", "lang": "en", "view_mode": "PAGE",
                  "public_token": "public_x"})
    assert "+" not in raw and "/" not in raw and "=" not in raw  # URL-safe, unpadded as Ecwid sends it
    opened = payload.decrypt(raw, SECRET[:16] + "anything after the sixteenth character")
    assert (opened.store_id, opened.access_token, opened.lang, opened.view_mode) == ("1003", "secret_abc", "en",
                                                                                     "PAGE")
    assert "secret_abc" not in repr(opened)


@pytest.mark.parametrize("raw", [
    "", "not base64 at all!", base64.urlsafe_b64encode(b"short").decode(),
    base64.urlsafe_b64encode(secrets.token_bytes(48)).decode(), "A" * 9000,
])
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(payload.BadPayload):
        payload.decrypt(raw, SECRET)


def test_another_apps_payload_or_one_without_a_token_is_refused() -> None:
    with pytest.raises(payload.BadPayload):
        payload.decrypt(sealed({"store_id": 1, "access_token": "t"}, "another-secret-abcdefgh"), SECRET)
    with pytest.raises(payload.BadPayload):
        payload.decrypt(sealed({"store_id": 1}), SECRET)
    with pytest.raises(payload.BadPayload):
        payload.decrypt(sealed({"store_id": "1; drop", "access_token": "t"}), SECRET)


def test_a_session_names_its_connection_until_it_expires() -> None:
    value = session.issue("key", "cs", "conn1", now=1000)
    assert session.verify("key", "cs", value, now=1000 + session.SESSION_TTL_S) == "conn1"
    assert session.verify("key", "cs", value, now=1001 + session.SESSION_TTL_S) is None
    assert session.verify("other key", "cs", value, now=1000) is None
    assert session.verify("key", "sc", value, now=1000) is None  # a session is not a sign-in code
    forged = value.replace("conn1", "conn2")
    assert session.verify("key", "cs", forged, now=1000) is None
    assert session.verify("key", "cs", None, now=1000) is None
    assert session.from_headers({"X-Console-Session": value}) == value


def test_a_sign_in_code_is_short_lived_and_not_a_session() -> None:
    code = session.issue("key", "sc", "conn1", now=0)
    assert session.verify("key", "sc", code, now=session.SIGNIN_TTL_S) == "conn1"
    assert session.verify("key", "sc", code, now=session.SIGNIN_TTL_S + 1) is None
    assert session.verify("key", "cs", code, now=0) is None


def test_the_admin_page_may_be_framed_by_ecwids_admin_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSOLE_FRAME_ANCESTORS", raising=False)
    headers = render.security_headers(in_admin=True)
    assert headers["Content-Security-Policy"].endswith("frame-ancestors https://my.ecwid.com")
    assert "X-Frame-Options" not in headers
    assert render.security_headers(in_admin=False)["Content-Security-Policy"].endswith("frame-ancestors 'none'")


def test_store_text_is_escaped_in_every_template() -> None:
    from connector.catalog.records import ProductRecord

    evil = "<img src=x onerror=alert(1)>"
    record = ProductRecord(connection_id="c", store_product_id="1", title=evil, sku=evil, status="sync_failed",
                           reason=evil)
    body = render.templates().get_template("products.html").render(
        cid="c", products=[record], next_page_token=None, status=None, q=evil, statuses=("sync_failed",),
        syncing=True, in_admin=False)
    assert evil not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
