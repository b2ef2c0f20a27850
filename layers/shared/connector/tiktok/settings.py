"""Where the TikTok Shop hosts are: the one place with the production defaults.

Pointing the connector at another TikTok Shop (the sandbox, or a real development shop on
the production hosts) is configuration only:

- ``TIKTOK_API_BASE``: the Open API host (default :data:`DEFAULT_API_BASE`).
- ``TIKTOK_AUTH_BASE``: the token host (default :data:`DEFAULT_AUTH_BASE`).
- ``TIKTOK_AUTHORIZE_URL``: the seller authorization link copied from Partner Center
  (``...open/authorize?service_id=<id>``); ``TIKTOK_AUTHORIZE_URL_<REGION>`` (e.g.
  ``TIKTOK_AUTHORIZE_URL_US``) overrides it for one region, because the link differs per
  region and the docs disagree on the US host: never build it ourselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector.errors import ConfigurationError
from connector.runtime import environ

DEFAULT_API_BASE = "https://open-api.tiktokglobalshop.com"
DEFAULT_AUTH_BASE = "https://auth.tiktok-shops.com"

ENV_API_BASE = "TIKTOK_API_BASE"
ENV_AUTH_BASE = "TIKTOK_AUTH_BASE"
ENV_AUTHORIZE_URL = "TIKTOK_AUTHORIZE_URL"

DEFAULT_REGION_KEY = ""


@dataclass(frozen=True)
class TikTokEndpoints:
    api_base: str = DEFAULT_API_BASE
    auth_base: str = DEFAULT_AUTH_BASE
    #: region code (upper case) -> authorization link; ``""`` is the default for all regions.
    authorize_urls: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TikTokEndpoints:
        values = environ() if env is None else env
        prefix = ENV_AUTHORIZE_URL + "_"
        links = {key[len(prefix) :].upper(): url for key, url in values.items() if key.startswith(prefix) and url}
        if values.get(ENV_AUTHORIZE_URL):
            links[DEFAULT_REGION_KEY] = values[ENV_AUTHORIZE_URL]
        return cls(
            api_base=(values.get(ENV_API_BASE) or DEFAULT_API_BASE).rstrip("/"),
            auth_base=(values.get(ENV_AUTH_BASE) or DEFAULT_AUTH_BASE).rstrip("/"),
            authorize_urls=links,
        )

    def authorize_url(self, region: str | None = None) -> str:
        if region and region.upper() in self.authorize_urls:
            return self.authorize_urls[region.upper()]
        if DEFAULT_REGION_KEY in self.authorize_urls:
            return self.authorize_urls[DEFAULT_REGION_KEY]
        raise ConfigurationError(
            f"no TikTok authorization link configured: set {ENV_AUTHORIZE_URL} "
            f"(or {ENV_AUTHORIZE_URL}_<REGION>) to the link from Partner Center"
        )
