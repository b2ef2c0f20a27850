"""What the Ecwid app brings to a connection: its install OAuth, its webhooks (verify and parse)
and its tokens, which do not expire (see :mod:`connector.connections.platforms`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from connector.stores.ecwid import config
from connector.stores.errors import AuthError, InvalidSignature, LaunchRefused
from connector.stores.protocol import StoreEvent

if TYPE_CHECKING:
    from connector.stores.ecwid.oauth import EcwidOAuth
    from connector.stores.protocol import StoreGrant

Params = Mapping[str, "str | list[str]"]


@functools.lru_cache(maxsize=8)
def _oauth(client_id: str, client_secret: str, oauth_base: str) -> EcwidOAuth:
    """One client (its HTTP pool and TLS context, ~0.1 s to build) per app and endpoint, reused
    across invocations: an anonymous callback does not pay for a new one each time."""
    from connector.stores.ecwid.oauth import EcwidOAuth

    return EcwidOAuth(client_id, client_secret, oauth_base=oauth_base)


class EcwidApp:
    name = config.PLATFORM
    title = "Ecwid"
    market_install = True
    """Ecwid's app market sends an install straight to the callback, with no state of ours."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._client_id = client_id
        self._secret = client_secret

    def __repr__(self) -> str:
        return f"EcwidApp(client_id={self._client_id!r})"

    @property
    def configured(self) -> bool:
        return bool(self._client_id and self._secret)

    def store_title(self, store_id: str) -> str:
        return f"Ecwid store {store_id}"

    def product_admin_url(self, store_id: str, product_id: str) -> str | None:
        """Ecwid documents no stable address for a product's page in its control panel."""
        return None

    def admin_frame_ancestors(self, store_id: str) -> str:
        """Ecwid's control panel frames every store's app page."""
        return "https://my.ecwid.com"

    def admin_launch(self, params: Params, now: float) -> str:
        """Ecwid signs no app URL: its admin opens the console with an encrypted payload instead
        (``/console/ecwid``, :mod:`connector.console.payload`)."""
        raise LaunchRefused("forged", "Ecwid opens the console with its payload")

    def install_oauth(self, params: Params) -> EcwidOAuth:
        """The install link takes no parameter: the store that logs in on Ecwid's page is the one."""
        return _oauth(self._client_id, self._secret, config.oauth_base())

    def callback_oauth(self, params: Params) -> EcwidOAuth:
        """Ecwid signs nothing on the redirect back: the state (and the code exchange) prove it."""
        return _oauth(self._client_id, self._secret, config.oauth_base())

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> StoreEvent:
        """Only the two signed fields are read before the signature is checked."""
        from connector.stores.ecwid.webhooks import EcwidWebhooks, signed_fields

        if not self._secret:
            raise InvalidSignature("no Ecwid client secret is configured", platform=self.name)
        hooks = EcwidWebhooks(self._secret)
        signed_fields(body)  # StoreValidationError when they are not there
        if not hooks.verify(headers, body):
            raise InvalidSignature("X-Ecwid-Webhook-Signature does not match", platform=self.name)
        return hooks.parse(body)

    def refresh(self, store_id: str, refresh_token: str) -> StoreGrant:
        """Ecwid tokens last until the app is removed: there is nothing to refresh."""
        raise AuthError(f"ecwid store {store_id}: tokens do not expire, nothing to refresh", platform=self.name)

