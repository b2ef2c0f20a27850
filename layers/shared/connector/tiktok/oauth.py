"""OAuth helpers: the authorization link and an access-token holder that refreshes itself.

The token endpoints themselves are calls of :class:`connector.tiktok.client.TikTokClient`
(``get_access_token`` / ``refresh_access_token``); this module holds the pieces around them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlencode

from connector.tiktok.models import TokenSet

#: Refresh this long before the absolute expiry TikTok gave us (TikTok's docs: refresh early).
DEFAULT_REFRESH_MARGIN_S = 3600


class TokenProvider(Protocol):
    """Where the client gets the seller's access token, and how it repairs an expired one."""

    def access_token(self) -> str:
        """The access token to send now."""

    def refresh(self, expired_token: str) -> str:
        """TikTok said ``expired_token`` expired (105002): return a fresh one (refreshing once)."""


def authorization_link(authorize_url: str, state: str) -> str:
    """The seller authorization link: Partner Center's link with ``&state=`` appended."""
    separator = "&" if "?" in authorize_url else "?"
    return f"{authorize_url}{separator}{urlencode({'state': state})}"


class StaticToken:
    """A fixed access token that cannot be refreshed (scripts, tests)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh(self, expired_token: str) -> str:
        from connector.tiktok.errors import TOKEN_EXPIRED, TokenExpired

        raise TokenExpired(TOKEN_EXPIRED, "access token expired and no refresher is configured")

    def __repr__(self) -> str:
        return "StaticToken(***)"


class RefreshingTokens:
    """Holds one seller's :class:`TokenSet`; refreshes it before expiry or when TikTok says so.

    ``refresher`` exchanges a refresh token for a new set (``TikTokClient.refresh_access_token``);
    ``on_refresh`` persists the new set (TikTok may rotate the refresh token: keep every one).
    Thread-safe; concurrent callers that saw the same expired token cause one refresh.
    Across processes, the caller's ``on_refresh``/store is what must serialize refreshes.
    """

    def __init__(
        self,
        tokens: TokenSet,
        refresher: Callable[[str], TokenSet],
        *,
        on_refresh: Callable[[TokenSet], None] | None = None,
        clock: Callable[[], float] = time.time,
        margin_s: float = DEFAULT_REFRESH_MARGIN_S,
    ) -> None:
        self._tokens = tokens
        self._refresher = refresher
        self._on_refresh = on_refresh
        self._clock = clock
        self._margin = margin_s
        self._lock = threading.Lock()

    @property
    def tokens(self) -> TokenSet:
        return self._tokens

    def access_token(self) -> str:
        with self._lock:
            if self._clock() + self._margin >= self._tokens.access_token_expire_in:
                self._refresh_locked()
            return self._tokens.access_token

    def refresh(self, expired_token: str) -> str:
        with self._lock:
            if self._tokens.access_token == expired_token:
                self._refresh_locked()
            return self._tokens.access_token

    def _refresh_locked(self) -> None:
        fresh = self._refresher(self._tokens.refresh_token)
        self._tokens = fresh
        if self._on_refresh is not None:
            self._on_refresh(fresh)

    def __repr__(self) -> str:
        return f"RefreshingTokens(expires_at={self._tokens.access_token_expire_in})"
