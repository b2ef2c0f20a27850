"""Tokens at rest: KMS ciphertext only, with the connection id as encryption context, so a
ciphertext copied onto another connection cannot be decrypted there. Plaintext exists only in
memory, in the call that needs it."""

from __future__ import annotations

import json
from typing import Any

from connector import aws
from connector.errors import ConnectorError


class VaultError(ConnectorError):
    """A ciphertext could not be decrypted for this connection (never carries the ciphertext)."""

    code = "token_vault_error"


class TokenVault:
    def __init__(self, key_id: str, client: Any | None = None) -> None:
        self._key_id = key_id
        self._client = client

    @property
    def client(self) -> Any:
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
