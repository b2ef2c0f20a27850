"""The ``payload`` query parameter Ecwid adds when it opens an app's page inside its admin.

Ecwid's developer documents ("Access store data from the app", docs.ecwid.com): URL-safe base64
of a 16-byte initialisation vector followed by AES-128-CBC ciphertext; the key is the first 16
characters of the app's client secret; the plaintext is JSON with ``store_id``,
``access_token``, ``lang``, and usually ``view_mode`` and ``public_token``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field

IV_BYTES = 16
MAX_PAYLOAD_CHARS = 8192


class BadPayload(Exception):
    """The payload is not one Ecwid made with this app's secret (or not a payload at all)."""


@dataclass(frozen=True)
class AdminPayload:
    store_id: str
    access_token: str = field(repr=False)
    lang: str | None = None
    view_mode: str | None = None


def _key(client_secret: str) -> bytes:
    key = client_secret[:16].encode("utf-8")
    if len(key) != 16:
        raise BadPayload("the app's client secret is shorter than 16 characters")
    return key


def _unbase64(text: str) -> bytes:
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BadPayload("not URL-safe base64") from None


def decrypt(raw: str, client_secret: str) -> AdminPayload:
    """The store and token inside ``raw``; :class:`BadPayload` for anything else."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if not raw or len(raw) > MAX_PAYLOAD_CHARS:
        raise BadPayload("empty or over-long payload")
    data = _unbase64(raw)
    if len(data) < IV_BYTES + 16 or (len(data) - IV_BYTES) % 16:
        raise BadPayload("not an IV followed by whole AES blocks")
    decryptor = Cipher(algorithms.AES(_key(client_secret)), modes.CBC(data[:IV_BYTES])).decryptor()
    padded = decryptor.update(data[IV_BYTES:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        content = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BadPayload("wrong key or damaged payload") from None
    if not isinstance(content, dict):
        raise BadPayload("the payload is not a JSON object")
    store_id, token = content.get("store_id"), content.get("access_token")
    if not isinstance(store_id, (int, str)) or not str(store_id).isdigit() or not isinstance(token, str) or not token:
        raise BadPayload("the payload has no store id or access token")
    lang, view_mode = content.get("lang"), content.get("view_mode")
    return AdminPayload(str(store_id), token, lang if isinstance(lang, str) else None,
                        view_mode if isinstance(view_mode, str) else None)


def encrypt(content: dict[str, object], client_secret: str, iv: bytes) -> str:
    """What Ecwid sends (the local demo's and the tests' admin page build payloads with it)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(json.dumps(content).encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(client_secret)), modes.CBC(iv)).encryptor()
    return base64.urlsafe_b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode().rstrip("=")
