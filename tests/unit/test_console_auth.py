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
    base64.urlsafe_b64encode(bytes(range(48))).decode(), "A" * 9000,
], ids=["empty", "not base64", "too short", "48 bytes sealed by nobody", "too long"])
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


def test_a_console_session_ends_when_the_connections_session_version_moves() -> None:
    from connector.connections.models import Connection
    from connector.console import access
    from connector.errors import Forbidden, Unauthorized

    def connection(version: int, connection_id: str = "conn1") -> Connection:
        return Connection(connection_id=connection_id, platform="ecwid", store_id="1003", state="active",
                          created_at=0, updated_at=0, session_version=version)

    value = session.issue("key", "cs", "conn1", now=1000, version=3)
    assert session.claim("key", "cs", value, now=1000) == ("conn1", 3)
    assert access.authorize_console(connection(3), "conn1", value, signing_key="key", now=1000).connection_id == "conn1"
    # Given the merchant rotated or revoked the credentials (or disconnected): the version moved
    with pytest.raises(Unauthorized):
        access.authorize_console(connection(4), "conn1", value, signing_key="key", now=1000)
    # Another connection's routes stay refused as not this session's
    with pytest.raises(Forbidden):
        access.authorize_console(connection(3, "conn2"), "conn2", value, signing_key="key", now=1000)
    # A version that is not a plain number is refused before anything else
    tampered = value.replace(".3.", ".³.")
    assert session.claim("key", "cs", tampered, now=1000) is None
