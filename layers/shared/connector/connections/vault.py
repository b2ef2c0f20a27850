"""Tokens at rest: KMS ciphertext only, with the connection id as encryption context, so a
ciphertext copied onto another connection cannot be decrypted there. Plaintext exists only in
memory: in the call that needs it, and in a short-lived per-container cache of decrypted
values (``CACHE_TTL_S``), so a warm function does not pay a KMS request on every invocation.
The cache is keyed by the connection id AND a digest of the ciphertext: a ciphertext copied
onto another connection misses it and goes to KMS, which refuses it (encryption context);
new tokens (a new ciphertext) miss it too."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from connector import aws
from connector.errors import ConnectorError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class VaultError(ConnectorError):
    """A ciphertext could not be decrypted for this connection (never carries the ciphertext)."""

    code = "token_vault_error"


CACHE_TTL_S = 300.0
CACHE_SIZE = 256

_cache: OrderedDict[tuple[str, str, str], tuple[float, dict[str, str]]] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


class TokenVault:
    def __init__(self, key_id: str, client: KMSClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, cache_ttl_s: float = CACHE_TTL_S) -> None:
        self._key_id = key_id
        self._client = client
        self._clock = clock
        self._ttl = cache_ttl_s

    @property
    def client(self) -> KMSClient:
        return self._client or aws.client("kms")

    @staticmethod
    def context(connection_id: str) -> dict[str, str]:
        return {"connection_id": connection_id}

    def seal(self, connection_id: str, secrets: dict[str, str]) -> bytes:
        plaintext = json.dumps(secrets, separators=(",", ":")).encode()
        result = self.client.encrypt(KeyId=self._key_id, Plaintext=plaintext,
                                     EncryptionContext=self.context(connection_id))
        return bytes(result["CiphertextBlob"])

    def open(self, connection_id: str, ciphertext: bytes) -> dict[str, str]:
        key = (self._key_id, connection_id, hashlib.sha256(ciphertext).hexdigest())
        now = self._clock()
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None and hit[0] > now:
                _cache.move_to_end(key)
                return dict(hit[1])
        opened = self._decrypt(connection_id, ciphertext)
        if self._ttl > 0:
            with _cache_lock:
                _cache[key] = (now + self._ttl, dict(opened))
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        return opened

    def _decrypt(self, connection_id: str, ciphertext: bytes) -> dict[str, str]:
        try:
            result = self.client.decrypt(CiphertextBlob=ciphertext, EncryptionContext=self.context(connection_id),
                                         KeyId=self._key_id)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            raise VaultError(f"tokens of connection {connection_id} could not be decrypted ({code})",
                             reason="decrypt_failed") from None
        value = json.loads(result["Plaintext"])
        if not isinstance(value, dict):
            raise VaultError(f"tokens of connection {connection_id} are malformed", reason="decrypt_failed")
        return {str(k): str(v) for k, v in value.items()}
