"""Authorization: the seller's authorization link, OAuth tokens, and the shops a token may act for."""

from __future__ import annotations

from connector.tiktok.models import AuthorizedShop, TokenSet
from connector.tiktok.oauth import authorization_link
from connector.tiktok.transport import Service, parse

AUTH_TOKEN_GET = "/api/v2/token/get"  # noqa: S105 (a path)
AUTH_TOKEN_REFRESH = "/api/v2/token/refresh"  # noqa: S105 (a path)
SHOPS = "/authorization/202309/shops"


class AuthService(Service):
    def authorization_url(self, state: str, *, region: str | None = None) -> str:
        """The seller authorization link for ``region`` with ``state`` appended."""
        return authorization_link(self._transport.endpoints.authorize_url(region), state)

    def get_access_token(self, auth_code: str) -> TokenSet:
        data = self._transport.auth_get(
            AUTH_TOKEN_GET, {"auth_code": auth_code, "grant_type": "authorized_code"}, (auth_code,)
        )
        return parse(TokenSet, data)

    def refresh_access_token(self, refresh_token: str) -> TokenSet:
        data = self._transport.auth_get(
            AUTH_TOKEN_REFRESH,
            {"refresh_token": refresh_token, "grant_type": "refresh_token"},  # not authorized_code (the Node SDK's bug)
            (refresh_token,),
        )
        return parse(TokenSet, data)

    def authorized_shops(self, *, access_token: str | None = None) -> list[AuthorizedShop]:
        data = self._transport.request("GET", SHOPS, access_token=access_token)
        return [parse(AuthorizedShop, s) for s in data.get("shops") or []]
