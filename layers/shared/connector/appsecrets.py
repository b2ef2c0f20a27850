"""The app's own credentials (TikTok app key and secret, each store platform's client id and secret, the key that
signs OAuth states and sessions), read from the Secrets Manager secret ``APP_SECRET_NAME`` and
cached for a few minutes per process so a rotation reaches every function without a deploy."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CACHE_SECONDS = 300.0


class AppCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    tiktok_app_key: str = ""
    tiktok_app_secret: str = Field(default="", repr=False)
    ecwid_client_id: str = ""
    ecwid_client_secret: str = Field(default="", repr=False)
    shopify_client_id: str = ""
    shopify_client_secret: str = Field(default="", repr=False)
    state_signing_key: str = Field(min_length=16, repr=False)

    def store_client(self, platform: str) -> tuple[str, str]:
        """(client id, client secret) of the store platform's app; empty when not configured."""
        return (str(getattr(self, f"{platform}_client_id", "") or ""),
                str(getattr(self, f"{platform}_client_secret", "") or ""))


_cache: dict[tuple[str, str], tuple[float, AppCredentials]] = {}
_lock = threading.Lock()


def load(secret_name: str, *, client: SecretsManagerClient | None = None, clock: Callable[[], float] = time.monotonic,
         max_age: float = CACHE_SECONDS) -> AppCredentials:
    """The credentials in ``secret_name`` (cached ``max_age`` seconds per endpoint and name)."""
    from connector import aws
    from connector.runtime import environ

    key = (environ().get("AWS_ENDPOINT_URL", ""), secret_name)
    with _lock:
        hit = _cache.get(key)
        if hit and clock() - hit[0] < max_age:
            return hit[1]
    sm = client or aws.client("secretsmanager")
    raw = sm.get_secret_value(SecretId=secret_name)["SecretString"]
    try:
        creds = AppCredentials.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        raise ConfigurationError("the app secret is not valid JSON with a state_signing_key",
                                 reason="bad_app_secret") from None
    with _lock:
        _cache[key] = (clock(), creds)
    return creds


def clear_cache() -> None:
    with _lock:
        _cache.clear()
